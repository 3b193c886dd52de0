// The input-digest cache every AssemblyScript build of this repository uses (sdk/build.ts for the
// examples and SDK test plugins, plugins/toolchain for the first-party plugins): `<out>.inputs`
// holds the digest of everything the module was built from (flags, entry, compiler version, the
// .ts sources it may import), and an equal digest means the module is current.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REMORA_ROOT } from './compile.ts';

/** The .ts sources below `dir` a build may import (tests and build output excluded), sorted. */
function sourceFiles(dir: string, acc: string[]): string[] {
  if (!existsSync(dir)) return acc;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'build' && name !== 'node_modules') sourceFiles(p, acc);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
      acc.push(p);
    }
  }
  return acc;
}

/** The version of the AssemblyScript compiler in the checkout (read without loading the compiler). */
function ascVersion(): string {
  return JSON.parse(readFileSync(join(REMORA_ROOT, 'node_modules', 'assemblyscript', 'package.json'), 'utf8')).version;
}

/** Digest of a build: its flags and entry, the compiler version, and every source under `sourceDirs`. */
export function inputsDigest(entry: string, flags: readonly string[], sourceDirs: string[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ flags, entry: relative(REMORA_ROOT, entry), asc: ascVersion() }));
  for (const dir of sourceDirs) {
    for (const f of sourceFiles(dir, [])) h.update(relative(REMORA_ROOT, f)).update(readFileSync(f));
  }
  return h.digest('hex');
}

/** True when `out` exists and was built from inputs with this digest. */
export function isCurrent(out: string, digest: string): boolean {
  const stamp = `${out}.inputs`;
  return existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest;
}

/** Records what `out` was just built from. */
export function recordInputs(out: string, digest: string): void {
  writeFileSync(`${out}.inputs`, digest);
}
