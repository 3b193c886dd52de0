// Builds the benchmark's own plugins (bench/plugins/*) into bench/out/plugins/, with the SDK's
// build flags, reusing the repository's cached AssemblyScript compile (plugins/toolchain).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The SDK's release flags (see sdk/assembly/index.ts): no non-standard env.abort/env.seed imports. */
const SDK_FLAGS = [
  '-O3',
  '--noAssert',
  '--runtime',
  'incremental',
  '--exportStart',
  '_initialize',
  '--use',
  'abort=sdk/assembly/abort/remora_abort',
  '--use',
  'seed=sdk/assembly/abort/remora_seed',
];

export type Built = { path: string } | { skipped: string };

/** Compiles bench/plugins/<name>/assembly/index.ts; explains why when it cannot. */
export async function buildBenchPlugin(root: string, name: string): Promise<Built> {
  const entry = join(root, 'bench', 'plugins', name, 'assembly', 'index.ts');
  const out = join(root, 'bench', 'out', 'plugins', `${name}.wasm`);
  if (!existsSync(join(root, 'sdk', 'assembly', 'index.ts'))) return { skipped: 'the SDK (sdk/assembly) is not in this tree' };
  const toolchain = join(root, 'plugins', 'toolchain', 'compile.ts');
  if (!existsSync(toolchain)) return { skipped: 'plugins/toolchain/compile.ts (the AssemblyScript build helper) is missing' };
  try {
    const { compileAssemblyScript } = (await import(toolchain)) as typeof import('../plugins/toolchain/compile.ts');
    const r = await compileAssemblyScript({
      entry,
      out,
      sourceDirs: [join(root, 'bench', 'plugins', name), join(root, 'sdk', 'assembly')],
      flags: SDK_FLAGS,
    });
    if (r.built) console.log(`built bench/out/plugins/${name}.wasm`);
    return { path: out };
  } catch (e) {
    return { skipped: `building bench/plugins/${name} failed: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}` };
  }
}

/**
 * Compiles bench/plugins/<name>/assembly/index.ts written against @solo-io/proxy-runtime, with the
 * compiler and flags that SDK needs (AssemblyScript 0.14: `--use abort=abort_proc_exit --optimize`).
 * Rebuilt only when the source or the compiler changed.
 */
export async function buildProxyRuntimePlugin(root: string, name: string): Promise<Built> {
  const entry = join(root, 'bench', 'plugins', name, 'assembly', 'index.ts');
  const out = join(root, 'bench', 'out', 'plugins', `${name}.wasm`);
  const compiler = join(root, 'node_modules', 'assemblyscript-0-14', 'bin', 'asc');
  const sdk = join(root, 'node_modules', '@solo-io', 'proxy-runtime', 'package.json');
  if (!existsSync(compiler) || !existsSync(sdk)) {
    return { skipped: '@solo-io/proxy-runtime or its compiler (devDependency assemblyscript-0-14) is not installed' };
  }
  const digest = createHash('sha256')
    .update(readFileSync(entry))
    .update(readFileSync(join(root, 'node_modules', 'assemblyscript-0-14', 'package.json')))
    .update(readFileSync(sdk))
    .digest('hex');
  const stamp = `${out}.inputs`;
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return { path: out };
  mkdirSync(join(root, 'bench', 'out', 'plugins'), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const output = await new Promise<string | null>((resolve) => {
    const child = spawn(process.execPath, [compiler, entry, '-b', tmp, '--use', 'abort=abort_proc_exit', '--optimize'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', (e) => resolve(String(e)));
    child.on('close', (code) => resolve(code === 0 && existsSync(tmp) ? null : text || `exit ${code}`));
  });
  if (output !== null) {
    rmSync(tmp, { force: true });
    return { skipped: `building bench/plugins/${name} failed: ${output.split('\n').filter((l) => /ERROR/.test(l)).slice(0, 2).join(' ') || output.slice(0, 200)}` };
  }
  renameSync(tmp, out);
  writeFileSync(stamp, digest);
  console.log(`built bench/out/plugins/${name}.wasm`);
  return { path: out };
}
