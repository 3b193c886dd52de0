// Compiles an AssemblyScript entry to Wasm, skipping the work when nothing it depends on
// changed (the input-digest cache of sdk/cli/build-cache.ts, shared with the SDK's own builds).
// Used by plugins/build.ts (the shipped plugins) and by the plugin tests (small test entries that
// expose the pure modules), so both see the same flags and the same cache rule.
import asc from 'assemblyscript/asc';
import { PLUGIN_ASC_FLAGS } from '../../sdk/cli/compile.ts';
import { inputsDigest, isCurrent, recordInputs } from '../../sdk/cli/build-cache.ts';
import { mkdirSync, renameSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CompileRequest {
  /** Entry file, absolute. */
  entry: string;
  /** Output .wasm, absolute; a `<out>.inputs` file beside it records what it was built from. */
  out: string;
  /** Folders whose .ts files the entry may import (their content decides whether to rebuild). */
  sourceDirs: string[];
  /** Extra asc flags, e.g. ['--exportRuntime']. */
  flags?: string[];
}

export interface CompileResult {
  out: string;
  /** False when the cached output was still current. */
  built: boolean;
}

/**
 * Flags every plugin build shares: the SDK's (optimised, minimal runtime with the GC run by the SDK
 * at callback ends, `_initialize` start, abort/seed routed through proxy-wasm imports), so the
 * first-party plugins are built exactly as `remora plugin build` builds an author's plugin.
 */
export const releaseFlags: string[] = [...PLUGIN_ASC_FLAGS];

/** Compiles `req.entry` unless `req.out` was already built from identical inputs. */
export async function compileAssemblyScript(req: CompileRequest): Promise<CompileResult> {
  const flags = req.flags ?? releaseFlags;
  const digest = inputsDigest(req.entry, flags, req.sourceDirs);
  if (isCurrent(req.out, digest)) return { out: req.out, built: false };
  mkdirSync(dirname(req.out), { recursive: true });
  // Unique temp name: concurrent test processes may build the same entry; rename is atomic.
  const tmp = `${req.out}.${process.pid}.${Date.now()}.tmp`;
  let stderr = '';
  const result = await asc.main([req.entry, '-o', tmp, ...flags], {
    stdout: { write: () => true } as never,
    stderr: {
      write: (chunk: string | Uint8Array) => {
        stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
        return true;
      },
    } as never,
  });
  if (result.error) {
    throw new Error(`asc failed for ${relative(repoRoot, req.entry)}:\n${stderr || result.error.message}`);
  }
  renameSync(tmp, req.out);
  recordInputs(req.out, digest);
  return { out: req.out, built: true };
}
