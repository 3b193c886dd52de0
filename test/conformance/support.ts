// Shared pieces of the proxy-runtime conformance suites: where the fixtures are, how a fixture
// becomes a `plugins` entry of a Remora config (keys as in shared/docs/interface.md), and small
// readers for response headers and /metrics.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IncomingHttpHeaders } from 'node:http';

const BUILD_DIR = fileURLToPath(new URL('../fixtures/build/', import.meta.url));

/** Absolute path of test/fixtures/build/<name>.wasm; fails loudly when the build has not run. */
export function fixture(name: string): string {
  const path = `${BUILD_DIR}${name}.wasm`;
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` (test/fixtures/build.ts)`);
  return path;
}

export interface PluginSpec {
  name: string;
  /** Fixture basename under test/fixtures/build/. */
  fixture: string;
  rootId: string;
  config?: unknown;
  vmConfig?: string;
  vmId?: string;
  failStrategy?: 'close' | 'open' | 'reload';
}

/** One `plugins` entry; optional keys are left out rather than set empty. */
export function plugin(spec: PluginSpec): Record<string, unknown> {
  const entry: Record<string, unknown> = { name: spec.name, url: fixture(spec.fixture), rootId: spec.rootId };
  if (spec.config !== undefined) entry.config = spec.config;
  if (spec.vmConfig !== undefined) entry.vmConfig = spec.vmConfig;
  if (spec.vmId !== undefined) entry.vmId = spec.vmId;
  if (spec.failStrategy !== undefined) entry.failStrategy = spec.failStrategy;
  return entry;
}

/** A single-valued response header (fails the test when it is repeated). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw new Error(`header ${name} is repeated: ${JSON.stringify(value)}`);
  return value;
}

/** Prometheus text samples whose metric name contains `fragment` (labels kept in the key). */
export function samples(text: string, fragment: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.includes(fragment)) continue;
    const match = /^(\S+?(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (match) out.set(match[1]!, Number(match[2]));
  }
  return out;
}

/** The one sample whose name (without labels) ends with `suffix` among those containing `fragment`. */
export function sample(text: string, fragment: string, suffix = ''): number {
  const found = [...samples(text, fragment)].filter(([key]) => key.replace(/\{.*$/, '').endsWith(fragment + suffix));
  if (found.length !== 1) throw new Error(`expected one ${fragment}${suffix} sample, found ${found.length}:\n${text}`);
  return found[0]![1];
}

/** The entry named `name` anywhere in the admin /plugins JSON (whatever its nesting). */
export function pluginState(doc: unknown, name: string): Record<string, unknown> {
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    const record = node as Record<string, unknown>;
    if (record.name === name && 'vmId' in record) return record;
    stack.push(...Object.values(record));
  }
  throw new Error(`plugin ${name} not in /plugins: ${JSON.stringify(doc)}`);
}
