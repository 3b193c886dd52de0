// Builds the benchmark's own plugins (bench/plugins/*) into bench/out/plugins/, with the SDK's
// build flags, reusing the repository's cached AssemblyScript compile (plugins/toolchain).
import { existsSync } from 'node:fs';
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
