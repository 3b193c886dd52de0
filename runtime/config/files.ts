// Resolves the files a config points at (plugin .wasm, TLS cert/key) to absolute paths and
// checks them before anything starts: a missing file or a wrong sha256 pin is a config error
// with the field path, not a failure later at load time. https:// plugins are fetched once
// into a cache folder keyed by their (mandatory) sha256 pin.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { RawConfig } from './raw.ts';
import type { SchemaProblem } from './validate.ts';

/** How long an https:// plugin download may take. */
const FETCH_TIMEOUT_MS = 30_000;

export interface ResolvedFiles {
  pluginPaths: string[];
  tlsPath: (file: string) => string;
}

/** Where fetched plugins are kept: `REMORA_CACHE_DIR`, else ~/.cache/remora/plugins. */
export function pluginCacheDir(): string {
  return process.env.REMORA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'remora', 'plugins');
}

export async function resolveFiles(raw: RawConfig, baseDir: string): Promise<ResolvedFiles | SchemaProblem> {
  const tlsPath = (file: string) => resolve(baseDir, file);
  for (const [li, l] of raw.listeners.entries()) {
    if (!l.tls) continue;
    for (const key of ['cert', 'key'] as const) {
      const problem = await readable(tlsPath(l.tls[key]), ['listeners', li, 'tls', key]);
      if (problem) return problem;
    }
    const problem = await usableKeyPair(tlsPath(l.tls.cert), tlsPath(l.tls.key), ['listeners', li, 'tls']);
    if (problem) return problem;
  }
  const pluginPaths: string[] = [];
  for (const [pi, p] of (raw.plugins ?? []).entries()) {
    const path = /^https:\/\//i.test(p.url) ? await fetchPlugin(p.url, p.sha256!, pi) : localPluginPath(p.url, baseDir);
    if (typeof path !== 'string') return path;
    const problem = (await readable(path, ['plugins', pi, 'url'])) ?? (await pinned(path, p.sha256, pi));
    if (problem) return problem;
    pluginPaths.push(path);
  }
  return { pluginPaths, tlsPath };
}

/** `file:///abs`, `file://./rel`, `./rel`, `rel`, `/abs` → absolute path. */
function localPluginPath(url: string, baseDir: string): string {
  if (url.startsWith('file:///')) return fileURLToPath(url);
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

async function readable(path: string, at: Array<string | number>): Promise<SchemaProblem | undefined> {
  try {
    await access(path, constants.R_OK);
    if (!(await stat(path)).isFile()) return { path: at, detail: `expected a file, ${path} is not one` };
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { path: at, detail: code === 'ENOENT' ? `file not found: ${path}` : `cannot read ${path} (${code ?? String(e)})` };
  }
}

/** The cert and key must be PEM that TLS can use together (a key that does not match is refused). */
async function usableKeyPair(certFile: string, keyFile: string, at: Array<string | number>): Promise<SchemaProblem | undefined> {
  try {
    createSecureContext({ cert: await readFile(certFile), key: await readFile(keyFile) });
    return undefined;
  } catch (e) {
    const reason = (e as Error).message.replace(/^error:[0-9A-F]+:/i, '');
    return { path: at, detail: `expected a PEM certificate chain and its private key, but TLS cannot use ${certFile} with ${keyFile}: ${reason}` };
  }
}

async function pinned(path: string, sha256: string | undefined, pi: number): Promise<SchemaProblem | undefined> {
  if (sha256 === undefined) return undefined;
  const actual = sha256Hex(await readFile(path));
  if (actual === sha256.toLowerCase()) return undefined;
  return { path: ['plugins', pi, 'sha256'], detail: `expected ${sha256.toLowerCase()}, but ${path} has sha256 ${actual}` };
}

async function fetchPlugin(url: string, sha256: string, pi: number): Promise<string | SchemaProblem> {
  const dir = pluginCacheDir();
  const path = join(dir, `${sha256.toLowerCase()}.wasm`);
  try {
    if (sha256Hex(await readFile(path)) === sha256.toLowerCase()) return path;
  } catch {
    // Not cached yet.
  }
  let body: Buffer;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) return { path: ['plugins', pi, 'url'], detail: `fetching ${url} answered HTTP ${res.status}` };
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    return { path: ['plugins', pi, 'url'], detail: `cannot fetch ${url}: ${cause}` };
  }
  const actual = sha256Hex(body);
  if (actual !== sha256.toLowerCase()) {
    return { path: ['plugins', pi, 'sha256'], detail: `expected ${sha256.toLowerCase()}, but ${url} has sha256 ${actual}` };
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, body);
  await rename(tmp, path);
  return path;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
