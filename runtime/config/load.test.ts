// parseConfig/loadConfig: normalization (defaults, units, canonical case, resolved paths) and
// the one-line ConfigError for each kind of bad input.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from './load.ts';
import { sha256Hex } from './files.ts';
import { selfSignedCert } from '../cli/testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'remora-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MINIMAL = `
listeners:
  - name: inbound
    address: 127.0.0.1:0
    routes:
      - match: { pathPrefix: / }
        cluster: app
clusters:
  - name: app
    endpoints: [127.0.0.1:8080]
`;

async function problem(text: string): Promise<ConfigError> {
  const file = join(dir, 'c.yaml');
  try {
    await parseConfig(text, file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'message is one line');
    assert.ok(e.message.startsWith(file), `message starts with the file: ${e.message}`);
    return e;
  }
  assert.fail('config was accepted');
}

describe('parseConfig: valid files', () => {
  it('fills every default and converts units', async () => {
    const c = await parseConfig(MINIMAL, join(dir, 'm.yaml'));
    assert.equal(c.source, join(dir, 'm.yaml'));
    assert.deepEqual(c.admin, { address: '127.0.0.1:4191' });
    assert.deepEqual(c.log, { level: 'info', accessLog: false });
    assert.equal(c.shutdownGracePeriodMs, 30_000);
    const l = c.listeners[0]!;
    assert.equal(l.detectTimeoutMs, 10_000);
    assert.equal(l.idleTimeoutMs, 60_000);
    assert.equal(l.headersTimeoutMs, 60_000);
    assert.equal(l.maxHeaderBytes, 16384);
    assert.deepEqual(l.tcpPlugins, []);
    assert.equal(l.defaultCluster, undefined, 'no opaque TCP unless asked for');
    assert.deepEqual(l.routes[0], {
      name: 'route-0', match: { pathPrefix: '/' }, plugins: [], backends: [{ cluster: 'app', weight: 1 }], timeoutMs: 15_000,
    });
    assert.deepEqual(c.clusters[0], {
      name: 'app', endpoints: ['127.0.0.1:8080'], protocol: 'http1', connectTimeoutMs: 5000, maxConnectionsPerEndpoint: 128,
    });
    assert.deepEqual(c.plugins, []);
  });

  it('reads every optional key, JSON included', async () => {
    writeFileSync(join(dir, 'p.wasm'), Buffer.from('\0asm\x01\0\0\0', 'binary'));
    selfSignedCert(dir, 'cert');
    const doc = {
      admin: { address: '[::1]:0' },
      log: { level: 'debug', accessLog: true },
      shutdownGracePeriod: '1m30s',
      listeners: [{
        name: 'in', address: '0.0.0.0:0', detectTimeout: '250ms', idleTimeout: '1h', maxHeaderBytes: '32Ki',
        defaultCluster: 'b', tls: { cert: 'cert.pem', key: './cert-key.pem' }, tcpPlugins: ['p'],
        routes: [{
          name: 'r', match: { pathRegex: '^/v[0-9]+/', method: 'post', headers: { 'X-Canary': 1 }, host: 'Example.SVC' },
          plugins: ['p'], backends: [{ cluster: 'a', weight: 90 }, { cluster: 'b' }], timeout: '0',
        }],
      }],
      clusters: [
        { name: 'a', endpoints: ['a.svc:80', '[::1]:81'], protocol: 'http2', connectTimeout: '2s', maxConnectionsPerEndpoint: 4 },
        { name: 'b', endpoints: ['127.0.0.1:1'], protocol: 'auto' },
      ],
      plugins: [{
        name: 'p', url: 'file://./p.wasm', config: { limit: 5 }, vmConfig: 'raw', vmId: 'shared', rootId: 'root',
        failStrategy: 'open', env: { MODE: 'x', N: 2 }, maxMemory: '16Mi',
      }],
    };
    const c = await parseConfig(JSON.stringify(doc), join(dir, 'full.json'));
    assert.equal(c.admin.address, '[::1]:0');
    assert.deepEqual(c.log, { level: 'debug', accessLog: true });
    assert.equal(c.shutdownGracePeriodMs, 90_000);
    const l = c.listeners[0]!;
    assert.equal(l.detectTimeoutMs, 250);
    assert.equal(l.idleTimeoutMs, 3_600_000);
    assert.equal(l.maxHeaderBytes, 32 * 1024);
    assert.equal(l.defaultCluster, 'b');
    assert.deepEqual(l.tls, { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'cert-key.pem') });
    assert.deepEqual(l.routes[0]!.match, { pathRegex: '^/v[0-9]+/', method: 'POST', headers: { 'x-canary': '1' }, host: 'example.svc' });
    assert.deepEqual(l.routes[0]!.backends, [{ cluster: 'a', weight: 90 }, { cluster: 'b', weight: 1 }]);
    assert.equal(l.routes[0]!.timeoutMs, 0);
    assert.equal(c.clusters[0]!.protocol, 'http2');
    assert.equal(c.clusters[0]!.connectTimeoutMs, 2000);
    assert.deepEqual(c.plugins[0], {
      name: 'p', path: join(dir, 'p.wasm'), config: '{"limit":5}', vmConfig: 'raw', vmId: 'shared', rootId: 'root',
      failStrategy: 'open', env: { MODE: 'x', N: '2' }, maxMemoryBytes: 16 * 1024 * 1024,
    });
  });

  it('accepts a matching sha256 pin and a plain relative plugin path', async () => {
    const bytes = Buffer.from('\0asm\x01\0\0\0', 'binary');
    writeFileSync(join(dir, 'pinned.wasm'), bytes);
    const text = `${MINIMAL}plugins:\n  - name: p\n    url: pinned.wasm\n    sha256: ${sha256Hex(bytes).toUpperCase()}\n`;
    const c = await parseConfig(text, join(dir, 'pin.yaml'));
    assert.equal(c.plugins[0]!.path, join(dir, 'pinned.wasm'));
    assert.equal(c.plugins[0]!.sha256, sha256Hex(bytes));
  });
});

describe('parseConfig: one-line errors with file, field path and expectation', () => {
  it('unknown key, with a suggestion and the line', async () => {
    const e = await problem(MINIMAL.replace('cluster: app', 'clustr: app'));
    assert.equal(e.path, 'listeners[0].routes[0]');
    assert.match(e.message, /: listeners\[0\]\.routes\[0\]: unknown key "clustr"; did you mean "cluster"\? \(line 7\)$/);
  });

  it('wrong type', async () => {
    const e = await problem(MINIMAL.replace('address: 127.0.0.1:0', 'address: 4143'));
    assert.match(e.message, /: listeners\[0\]\.address: expected host:port like .*, got 4143/);
  });

  it('wrong enum value', async () => {
    const e = await problem(`${MINIMAL}    protocol: h3\n`);
    assert.match(e.message, /: clusters\[0\]\.protocol: expected one of http1, http2, auto, got "h3"/);
  });

  it('missing required key', async () => {
    const e = await problem(MINIMAL.replace('    address: 127.0.0.1:0\n', ''));
    assert.match(e.message, /: listeners\[0\]: missing required key "address"/);
  });

  it('unknown cluster in a route, in backends and as defaultCluster', async () => {
    let e = await problem(MINIMAL.replace('cluster: app', 'cluster: nope'));
    assert.match(e.message, /: listeners\[0\]\.routes\[0\]\.cluster: unknown cluster "nope"; defined clusters: app/);
    e = await problem(MINIMAL.replace('cluster: app', 'backends: [{cluster: app, weight: 1}, {cluster: gone}]'));
    assert.match(e.message, /: listeners\[0\]\.routes\[0\]\.backends\[1\]\.cluster: unknown cluster "gone"/);
    e = await problem(MINIMAL.replace('    routes:', '    defaultCluster: tcp\n    routes:'));
    assert.match(e.message, /: listeners\[0\]\.defaultCluster: unknown cluster "tcp"/);
  });

  it('unknown plugin in a route and in tcpPlugins', async () => {
    let e = await problem(MINIMAL.replace('cluster: app', 'cluster: app\n        plugins: [auth]'));
    assert.match(e.message, /: listeners\[0\]\.routes\[0\]\.plugins\[0\]: unknown plugin "auth"; no plugins are defined/);
    e = await problem(MINIMAL.replace('    routes:', '    tcpPlugins: [sniff]\n    routes:'));
    assert.match(e.message, /: listeners\[0\]\.tcpPlugins\[0\]: unknown plugin "sniff"/);
  });

  it('unparsable duration', async () => {
    const e = await problem(MINIMAL.replace('cluster: app', 'cluster: app\n        timeout: 5 parsecs'));
    assert.match(e.message, /: listeners\[0\]\.routes\[0\]\.timeout: expected a duration like 250ms, 5s, 1m, 1h or 1m30s, got "5 parsecs"/);
    const bare = await problem(MINIMAL.replace('cluster: app', 'cluster: app\n        timeout: 5'));
    assert.match(bare.message, /: listeners\[0\]\.routes\[0\]\.timeout: expected a duration like 250ms, 5s, 1m, 1h or 1m30s, got 5 \(line \d+\)$/, 'a bare number other than 0');
  });

  it('an unquoted 0 is the duration 0 (disabled), as the docs write it', async () => {
    const file = join(dir, 'zero.yaml');
    writeFileSync(file, MINIMAL.replace('cluster: app', 'cluster: app\n        timeout: 0'));
    const config = await loadConfig(file);
    assert.equal(config.listeners[0]!.routes[0]!.timeoutMs, 0);
  });

  it('YAML syntax error names line:column', async () => {
    const file = join(dir, 'c.yaml');
    const e = await problem('listeners:\n  - name: a\n   address: [x\n');
    assert.match(e.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: invalid YAML: `));
  });

  it('duplicate names', async () => {
    const e = await problem(`${MINIMAL}  - name: app\n    endpoints: [127.0.0.1:9]\n`);
    assert.match(e.message, /: clusters\[1\]\.name: duplicate cluster name "app" \(also clusters\[0\]\)/);
  });

  it('bad regex, two path matchers, cluster with backends', async () => {
    let e = await problem(MINIMAL.replace('{ pathPrefix: / }', '{ pathRegex: "((" }'));
    assert.match(e.message, /: listeners\[0\]\.routes\[0\]\.match\.pathRegex: expected a JavaScript regular expression: /);
    e = await problem(MINIMAL.replace('{ pathPrefix: / }', '{ pathPrefix: /, path: /x }'));
    assert.match(e.message, /: listeners\[0\]\.routes\[0\]\.match: expected at most one of path, pathPrefix, pathRegex/);
    e = await problem(MINIMAL.replace('cluster: app', 'cluster: app\n        backends: [{cluster: app}]'));
    assert.match(e.message, /: listeners\[0\]\.routes\[0\]: expected either cluster or backends, not both/);
  });

  it('bad addresses', async () => {
    let e = await problem(MINIMAL.replace('address: 127.0.0.1:0', 'address: "127.0.0.1:99999"'));
    assert.match(e.message, /: listeners\[0\]\.address: expected host:port/);
    e = await problem(MINIMAL.replace('[127.0.0.1:8080]', '[localhost]'));
    assert.match(e.message, /: clusters\[0\]\.endpoints\[0\]: expected host:port .*, got "localhost"/);
    e = await problem(`admin: { address: 127.0.0.1:7000 }\n${MINIMAL.replace('address: 127.0.0.1:0', 'address: 127.0.0.1:7000')}`);
    assert.match(e.message, /: listeners\[0\]\.address: address 127\.0\.0\.1:7000 is already used by admin\.address/);
  });

  it('plugin url problems: oci, missing file, wrong pin, https without pin', async () => {
    let e = await problem(`${MINIMAL}plugins: [{ name: p, url: "oci://ghcr.io/x/y:1" }]\n`);
    assert.match(e.message, /: plugins\[0\]\.url: oci:\/\/ is not supported yet/);
    e = await problem(`${MINIMAL}plugins: [{ name: p, url: "file://./missing.wasm" }]\n`);
    assert.match(e.message, new RegExp(`: plugins\\[0\\]\\.url: file not found: ${join(dir, 'missing.wasm')}`));
    writeFileSync(join(dir, 'x.wasm'), 'not the pinned bytes');
    e = await problem(`${MINIMAL}plugins: [{ name: p, url: x.wasm, sha256: "${'0'.repeat(64)}" }]\n`);
    assert.match(e.message, /: plugins\[0\]\.sha256: expected 0{64}, but .*x\.wasm has sha256 [0-9a-f]{64}/);
    e = await problem(`${MINIMAL}plugins: [{ name: p, url: "https://example.com/p.wasm" }]\n`);
    assert.match(e.message, /: plugins\[0\]\.sha256: missing: an https:\/\/ plugin url needs a sha256 pin/);
  });

  it('TLS files that are missing, not PEM, or do not match', async () => {
    const tls = (cert: string, key: string) => MINIMAL.replace('    routes:', `    tls: { cert: ${cert}, key: ${key} }\n    routes:`);
    let e = await problem(tls('nope.pem', 'nope-key.pem'));
    assert.match(e.message, new RegExp(`: listeners\\[0\\]\\.tls\\.cert: file not found: ${join(dir, 'nope.pem')}`));
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
    e = await problem(tls('junk.pem', 'junk.pem'));
    assert.match(e.message, /: listeners\[0\]\.tls: expected a PEM certificate chain and its private key, but TLS cannot use /);
    selfSignedCert(dir, 'one');
    selfSignedCert(dir, 'two');
    e = await problem(tls('one.pem', 'two-key.pem'));
    assert.match(e.message, /: listeners\[0\]\.tls: expected a PEM certificate chain and its private key, but TLS cannot use .*one\.pem with .*two-key\.pem: .*mismatch/i);
  });

  it('sizes below their minimum', async () => {
    const e = await problem(MINIMAL.replace('    routes:', '    maxHeaderBytes: 100\n    routes:'));
    assert.match(e.message, /: listeners\[0\]\.maxHeaderBytes: expected a size .* at least 1024, got 100/);
  });

  it('empty file and missing file', async () => {
    const e = await problem('');
    assert.match(e.message, /: the file is empty; expected a mapping with listeners$/);
    await assert.rejects(loadConfig(join(dir, 'absent.yaml')), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `${join(dir, 'absent.yaml')}: file not found`);
      return true;
    });
  });
});
