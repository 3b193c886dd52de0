// Compiles an AssemblyScript plugin entry with the SDK's flags. One place for the flags, used by
// `remora plugin build`, sdk/build.ts (examples, SDK test plugins) and anyone building SDK plugins.
import { mkdirSync, readFileSync, renameSync, statSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The SDK package folder (sdk/). */
export const SDK_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The Remora checkout that ships the SDK; its node_modules holds @remora/sdk and assemblyscript. */
export const REMORA_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What release and debug builds share: the runtime, the start export and the abort/seed routing. */
const SDK_RUNTIME_FLAGS: readonly string[] = [
  '--runtime', 'minimal',
  '--exportStart', '_initialize',
  '--use', 'abort=~lib/@remora/sdk/assembly/abort/remora_abort',
  '--use', 'seed=~lib/@remora/sdk/assembly/abort/remora_seed',
];

/**
 * asc flags for plugins:
 * - `-O3s --converge`: full optimisation with size-aware inlining (a header plugin stays well under 20 KB).
 * - `--runtime minimal`: no shadow stack (smaller, faster code); the SDK runs the GC at the end of host
 *   callbacks, the only safe points (see assembly/exports.ts).
 * - `--noAssert`: assertions are for debug builds.
 * - `--exportStart _initialize`: top-level code runs when the host calls `_initialize`, as for a WASI reactor.
 * - `--use abort=…, seed=…`: no non-standard `env.abort` / `env.seed` imports (Envoy would refuse them).
 */
export const PLUGIN_ASC_FLAGS: readonly string[] = ['-O3s', '--converge', '--noAssert', ...SDK_RUNTIME_FLAGS];

/** Debug flavour: assertions kept, names and a source map for stack traces. */
export const DEBUG_ASC_FLAGS: readonly string[] = ['--debug', ...SDK_RUNTIME_FLAGS];

export interface CompileOptions {
  /** Entry .ts file. */
  entry: string;
  /** Output .wasm file. */
  out: string;
  /** Also write the text format next to it (`<out>.wat`). */
  wat?: boolean;
  debug?: boolean;
  /** Extra asc flags appended last. */
  extraFlags?: string[];
}

export interface CompileResult {
  ok: boolean;
  out: string;
  /** Size of the .wasm in bytes (0 on failure). */
  size: number;
  /** Compiler diagnostics (warnings on success, errors on failure). */
  diagnostics: string;
  /** Imports other than the standard `env.proxy_*` host functions: the module will not load in Envoy. */
  foreignImports: string[];
}

/** Imports of a module that are not proxy-wasm host functions (e.g. `env.trace` from a stray trace()). */
export function foreignImports(wasm: Uint8Array): string[] {
  const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
  return WebAssembly.Module.imports(module)
    .filter((i) => !(i.module === 'env' && i.kind === 'function' && i.name.startsWith('proxy_')))
    .map((i) => `${i.module}.${i.name}`);
}

/**
 * Compiles one plugin. `@remora/sdk` resolves from the project's own node_modules, else from the
 * Remora checkout's node_modules (so a project without `npm install` still builds).
 */
export async function compilePlugin(opts: CompileOptions): Promise<CompileResult> {
  const out = resolve(opts.out);
  mkdirSync(dirname(out), { recursive: true });
  // Write to a unique temp name and rename: concurrent builds of one entry never see a torn file.
  const tmp = `${out}.${process.pid}.tmp`;
  const args = [
    resolve(opts.entry), '-o', tmp,
    ...(opts.debug ? DEBUG_ASC_FLAGS : PLUGIN_ASC_FLAGS),
    '--path', resolve(REMORA_ROOT, 'node_modules'),
    ...(opts.wat ? ['-t', out.replace(/\.wasm$/, '') + '.wat'] : []),
    ...(opts.extraFlags ?? []),
  ];
  let diagnostics = '';
  const sink = {
    write(chunk: string | Uint8Array) {
      diagnostics += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    },
  };
  // Imported here: loading the compiler takes a while, and cached builds never need it.
  const { default: asc } = await import('assemblyscript/asc');
  const { error } = await asc.main(args, { stdout: sink as never, stderr: sink as never });
  // asc prints a warning when --converge stops early; it is noise for plugin authors.
  diagnostics = diagnostics.split('\n').filter((l) => !/^Last converge was suboptimal\.?$/.test(l.trim())).join('\n').trim();
  if (error) {
    rmSync(tmp, { force: true });
    return { ok: false, out, size: 0, diagnostics: diagnostics || error.message, foreignImports: [] };
  }
  renameSync(tmp, out);
  return { ok: true, out, size: statSync(out).size, diagnostics, foreignImports: foreignImports(readFileSync(out)) };
}
