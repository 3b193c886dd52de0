// Builds the first-party plugins to plugins/<name>/build/<name>.wasm (optimised), skipping any
// whose sources (its own, plugins/common, the SDK) did not change. Run by scripts/build.ts.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { testModuleRequest } from './toolchain/test-module.ts';
import { compileAssemblyScript, releaseFlags, repoRoot } from './toolchain/compile.ts';

/** The plugins this folder ships; each has `assembly/index.ts`. */
export const pluginNames = ['header-router', 'auth', 'rate-limit'];

/** Where a plugin's built module lives. */
export function pluginWasmPath(name: string): string {
  return join(repoRoot, 'plugins', name, 'build', `${name}.wasm`);
}

/**
 * Wasm features beyond the MVP a plugin uses. auth's RSA multiplies four limb pairs per SIMD
 * instruction (fixed-width SIMD is in every engine proxy-wasm hosts use: V8, Wasmtime, WAMR).
 */
const extraFlags: Record<string, string[]> = { auth: ['--enable', 'simd'] };

/** Builds one plugin (cached). */
export async function buildPlugin(name: string): Promise<{ out: string; built: boolean }> {
  const dir = join(repoRoot, 'plugins', name);
  return compileAssemblyScript({
    entry: join(dir, 'assembly', 'index.ts'),
    out: pluginWasmPath(name),
    flags: [...releaseFlags, ...(extraFlags[name] ?? [])],
    sourceDirs: [join(dir, 'assembly'), join(repoRoot, 'plugins', 'common', 'assembly'), join(repoRoot, 'sdk', 'assembly')],
  });
}

/** Builds every plugin; used by the plugin tests to make sure the modules they load are current. */
export async function buildAllPlugins(): Promise<void> {
  for (const name of pluginNames) await buildPlugin(name);
}

/** Builds the test entries (plugins/<name>/test/assembly/*.ts) the unit tests load, so tests start warm. */
export async function buildTestModules(name: string): Promise<number> {
  const dir = join(repoRoot, 'plugins', name);
  const entries = join(dir, 'test', 'assembly');
  if (!existsSync(entries)) return 0;
  let built = 0;
  for (const file of readdirSync(entries).filter((f) => f.endsWith('.ts')).sort()) {
    if ((await compileAssemblyScript(testModuleRequest(dir, file.slice(0, -3)))).built) built++;
  }
  return built;
}

if (import.meta.main) {
  for (const name of pluginNames) {
    try {
      const r = await buildPlugin(name);
      const tests = await buildTestModules(name);
      console.log(`plugins: ${name} ${r.built ? 'built' : 'up to date'} -> ${r.out}${tests ? ` (+${tests} test modules)` : ''}`);
    } catch (err) {
      console.error(`plugins: ${name} failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  }
}
