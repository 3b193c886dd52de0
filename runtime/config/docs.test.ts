// The documentation stays true: every key of the schema is documented in docs/configuration.md,
// and the example configs in that file and in the README load.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, it } from 'node:test';
import { parseConfig } from './load.ts';
import { configSchema } from './schema.ts';
import { selfSignedCert } from '../cli/testing.ts';

const root = new URL('../../', import.meta.url);
const reference = readFileSync(new URL('docs/configuration.md', root), 'utf8');
const readme = readFileSync(new URL('README.md', root), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'remora-docs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every property name in the schema, at any depth. */
function schemaKeys(node: unknown, out = new Set<string>()): Set<string> {
  if (node && typeof node === 'object') {
    const props = (node as { properties?: Record<string, unknown> }).properties;
    if (props) for (const k of Object.keys(props)) out.add(k);
    for (const v of Object.values(node)) schemaKeys(v, out);
  }
  return out;
}

/** The YAML block that follows `heading` in a markdown text. */
function yamlAfter(text: string, heading: string): string {
  const start = text.indexOf(heading);
  assert.ok(start >= 0, `heading ${heading} present`);
  const open = text.indexOf('```yaml\n', start);
  return text.slice(open + '```yaml\n'.length, text.indexOf('\n```', open));
}

/** Creates the files an example points at, so it loads as it would for a user. */
function touch(base: string, ...files: string[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(base, f)), { recursive: true });
    writeFileSync(join(base, f), '\0asm\x01\0\0\0');
  }
}

it('documents every config key', () => {
  const missing = [...schemaKeys(configSchema)].filter((k) => !reference.includes(`\`${k}\``));
  assert.deepEqual(missing, []);
});

it('the complete example in docs/configuration.md loads', async () => {
  mkdirSync(join(dir, 'certs'), { recursive: true });
  selfSignedCert(join(dir, 'certs'), 'server');
  touch(dir, 'plugins/auth.wasm');
  const config = await parseConfig(yamlAfter(reference, '## A complete example'), join(dir, 'example.yaml'));
  assert.deepEqual(config.listeners.map((l) => l.name), ['inbound', 'outbound']);
  assert.equal(config.listeners[1]!.defaultCluster, 'db');
  assert.equal(config.plugins[0]!.path, join(dir, 'plugins/auth.wasm'));
});

it('the README walkthrough config loads', async () => {
  touch(dir, 'plugins/auth.wasm');
  const config = await parseConfig(yamlAfter(readme, '### A config, key by key'), join(dir, 'readme.yaml'));
  assert.equal(config.listeners[0]!.routes[0]!.timeoutMs, 10_000);
  assert.deepEqual(config.listeners[0]!.routes[0]!.plugins, ['auth']);
});
