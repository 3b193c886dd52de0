// Builds the Wasm the SDK ships or tests with: examples/<name>/build/<name>.wasm and the SDK's test
// plugins (sdk/test/assembly/*.ts -> sdk/test/build/*.wasm). Run by scripts/build.ts (npm install,
// npm run build). A module is rebuilt only when its sources, the SDK or the flags changed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compilePlugin, PLUGIN_ASC_FLAGS, REMORA_ROOT, SDK_ROOT } from './cli/compile.ts';
import { inputsDigest, isCurrent, recordInputs } from './cli/build-cache.ts';

export interface BuildTarget {
  entry: string;
  out: string;
  /** Folders whose .ts files decide whether to rebuild (the SDK's own sources always count). */
  sources: string[];
}

/** The examples and SDK test plugins, in build order. */
export function buildTargets(): BuildTarget[] {
  const targets: BuildTarget[] = [];
  const examples = join(REMORA_ROOT, 'examples');
  if (existsSync(examples)) {
    for (const name of readdirSync(examples).sort()) {
      const entry = join(examples, name, 'assembly', 'index.ts');
      if (!existsSync(entry)) continue;
      targets.push({ entry, out: join(examples, name, 'build', `${name}.wasm`), sources: [join(examples, name, 'assembly')] });
    }
  }
  const tests = join(SDK_ROOT, 'test', 'assembly');
  if (existsSync(tests)) {
    for (const file of readdirSync(tests).sort()) {
      if (!file.endsWith('.ts')) continue;
      targets.push({ entry: join(tests, file), out: join(SDK_ROOT, 'test', 'build', `${basename(file, '.ts')}.wasm`), sources: [tests] });
    }
  }
  return targets;
}

/** Builds one target unless its recorded inputs are unchanged. Throws with the compiler's output. */
export async function buildTarget(target: BuildTarget): Promise<{ out: string; built: boolean; size: number }> {
  const digest = inputsDigest(target.entry, PLUGIN_ASC_FLAGS, [join(SDK_ROOT, 'assembly'), ...target.sources]);
  if (isCurrent(target.out, digest)) return { out: target.out, built: false, size: statSync(target.out).size };
  const r = await compilePlugin({ entry: target.entry, out: target.out });
  if (!r.ok) throw new Error(`sdk build: ${target.entry} failed:\n${r.diagnostics}`);
  recordInputs(target.out, digest);
  return { out: target.out, built: true, size: r.size };
}

if (import.meta.main) {
  try {
    for (const t of buildTargets()) {
      const r = await buildTarget(t);
      if (r.built) console.log(`sdk build: ${r.out.slice(REMORA_ROOT.length)} (${r.size} bytes)`);
    }
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
