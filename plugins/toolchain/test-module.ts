// Loads a compiled AssemblyScript test entry (see compile.ts) through @assemblyscript/loader
// and offers typed helpers to pass bytes and strings in and out, pinning what is passed so the
// incremental GC cannot collect an argument while the next one is being allocated.
import { instantiate } from '@assemblyscript/loader';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAssemblyScript, repoRoot, type CompileRequest } from './compile.ts';

export interface AsModule {
  /** Raw exports (functions take and return pointers for managed values). */
  exports: Record<string, (...args: number[]) => number>;
  /** Calls `name` with the given arguments converted to managed values and returns its raw result. */
  call(name: string, ...args: Array<Uint8Array | string | number>): number;
  /** Reads an ArrayBuffer result; null for pointer 0. */
  bytes(ptr: number): Uint8Array | null;
  string(ptr: number): string;
}

/** Where a test entry's module is built, and from what (shared by loadTestModule and plugins/build.ts). */
export function testModuleRequest(pluginDir: string, entry: string): CompileRequest {
  return {
    entry: join(pluginDir, 'test', 'assembly', `${entry}.ts`),
    out: join(pluginDir, 'build', 'test', `${entry}.wasm`),
    sourceDirs: [
      join(pluginDir, 'assembly'), join(pluginDir, 'test', 'assembly'),
      join(repoRoot, 'plugins', 'common', 'assembly'), join(repoRoot, 'plugins', 'common', 'test', 'assembly'),
      join(repoRoot, 'sdk', 'assembly'),
    ],
    // Default (incremental) runtime: the loader's helpers allocate and pin from outside.
    flags: ['-O3', '--exportRuntime', '--enable', 'simd'],
  };
}

/** Compiles `<pluginDir>/test/assembly/<entry>.ts` (cached; plugins/build.ts prebuilds it) and instantiates it. */
export async function loadTestModule(pluginDir: string, entry: string): Promise<AsModule> {
  const request = testModuleRequest(pluginDir, entry);
  const out = request.out;
  await compileAssemblyScript(request);
  const { exports } = await instantiate<Record<string, unknown>>(readFileSync(out), {
    env: {
      abort(msg: number, file: number, line: number, col: number) {
        const text = (p: number) => (p ? exports.__getString(p) : '');
        throw new Error(`abort: ${text(msg)} at ${text(file)}:${line}:${col}`);
      },
    },
  });
  const fns = exports as unknown as Record<string, (...args: number[]) => number>;
  return {
    exports: fns,
    call(name, ...args) {
      const fn = fns[name];
      if (typeof fn !== 'function') throw new Error(`test module has no export ${name}`);
      const pinned: number[] = [];
      const raw = args.map((a) => {
        if (typeof a === 'number') return a;
        const ptr =
          typeof a === 'string'
            ? exports.__newString(a)
            : exports.__newArrayBuffer(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength) as ArrayBuffer);
        exports.__pin(ptr);
        pinned.push(ptr);
        return ptr;
      });
      try {
        return fn(...raw);
      } finally {
        for (const p of pinned) exports.__unpin(p);
      }
    },
    bytes(ptr) {
      return ptr === 0 ? null : new Uint8Array(exports.__getArrayBuffer(ptr));
    },
    string(ptr) {
      return exports.__getString(ptr);
    },
  };
}
