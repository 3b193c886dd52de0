// https:// plugin urls: fetched once into the cache keyed by the sha256 pin, the pin checked,
// failures reported on the field. Runs `remora check` in a child process so the test server's
// self-signed certificate can be trusted through NODE_EXTRA_CA_CERTS.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from './files.ts';
import { compileWat, MINIMAL_PLUGIN_WAT, selfSignedCert } from '../cli/testing.ts';

const BIN = fileURLToPath(new URL('../../bin/remora.js', import.meta.url));

describe('https:// plugin urls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'remora-fetch-'));
  const cacheDir = join(dir, 'cache');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'cert-key.pem');
  let server: Server;
  let base = '';
  let wasm: Buffer;
  let downloads = 0;

  before(async () => {
    selfSignedCert(dir, 'cert');
    wasm = await compileWat(MINIMAL_PLUGIN_WAT);
    server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
      if (req.url === '/p.wasm') {
        downloads++;
        res.writeHead(200, { 'content-type': 'application/wasm' });
        res.end(wasm);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function check(url: string, sha256: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const file = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, `listeners: [{ name: l, address: "127.0.0.1:0", defaultCluster: c }]
clusters: [{ name: c, endpoints: ["127.0.0.1:9"] }]
plugins: [{ name: p, url: "${url}", sha256: "${sha256}" }]
`);
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'check', '-c', file], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: certFile, REMORA_CACHE_DIR: cacheDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c));
      child.stderr.on('data', (c: Buffer) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('downloads a pinned plugin once and reuses the cached copy', async () => {
    const pin = sha256Hex(wasm);
    const first = await check(`${base}/p.wasm`, pin);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(downloads, 1);
    assert.ok(existsSync(join(cacheDir, `${pin}.wasm`)));
    const second = await check(`${base}/p.wasm`, pin);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(downloads, 1, 'served from the cache');
  });

  it('refuses bytes that do not match the pin', async () => {
    const r = await check(`${base}/p.wasm`, 'ab'.repeat(32));
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`: plugins\\[0\\]\\.sha256: expected (ab){32}, but ${base.replace(/[.]/g, '\\.')}/p\\.wasm has sha256 ${sha256Hex(wasm)}`));
    assert.ok(!existsSync(join(cacheDir, `${'ab'.repeat(32)}.wasm`)));
  });

  it('reports an HTTP error on the url field', async () => {
    const r = await check(`${base}/missing.wasm`, 'cd'.repeat(32));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /: plugins\[0\]\.url: fetching https:\/\/127\.0\.0\.1:\d+\/missing\.wasm answered HTTP 404/);
  });
});
