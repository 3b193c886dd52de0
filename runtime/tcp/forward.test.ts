// Opaque TCP through a real Proxy: non-HTTP bytes, half-close, silent clients after the detect timeout,
// TLS without a configured certificate, and upstream failures.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Started } from '../http/testing.ts';
import { cluster, config, deadAddress, listener, route, startProxy } from '../http/testing.ts';

describe('opaque TCP', () => {
  let upstream: net.Server;
  let p: Started;
  let dead: Started;

  before(async () => {
    // Greets first (server-first protocol), echoes, and on the client's FIN answers "bye" then closes.
    upstream = net.createServer({ allowHalfOpen: true }, (s) => {
      s.write('hello;');
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end('bye'));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as net.AddressInfo).port;
    p = await startProxy(
      config(
        [listener('tcp', [route('web', 'web')], { defaultCluster: 'raw', detectTimeoutMs: 100 })],
        [cluster('raw', [`127.0.0.1:${port}`]), cluster('web', [`127.0.0.1:${port}`])],
      ),
    );
    dead = await startProxy(config([listener('dead', [], { defaultCluster: 'gone', detectTimeoutMs: 100 })], [cluster('gone', [await deadAddress()])]));
  });

  after(async () => {
    await p.close();
    await dead.close();
    upstream.close();
  });

  /** Writes `data`, half-closes, and collects everything until the proxy closes. */
  function exchange(port: number, data: Buffer | string, delayMs = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let out = '';
      s.on('data', (c) => (out += c.toString('latin1')));
      s.on('close', () => resolve(out));
      s.on('error', reject);
      s.on('connect', () => {
        setTimeout(() => {
          if (data.length > 0) s.write(data);
          s.end();
        }, delayMs);
      });
    });
  }

  it('forwards non-HTTP bytes both ways and carries the half-close', async () => {
    const out = await exchange(p.port(), Buffer.from([0x00, 0x01, 0x02, 0x41]));
    assert.equal(out, 'hello;\x00\x01\x02Abye');
  });

  it('forwards a silent client after the detect timeout (server speaks first)', async () => {
    const out = await exchange(p.port(), 'late', 300);
    assert.equal(out, 'hello;latebye');
  });

  it('forwards TLS as opaque TCP when the listener has no certificate', async () => {
    const hello = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]);
    const out = await exchange(p.port(), hello);
    assert.equal(out, `hello;${hello.toString('latin1')}bye`);
  });

  it('counts the connection as tcp in metrics with its bytes', async () => {
    await exchange(p.port(), 'abc');
    // The proxy's side of the connection closes just after the client's: wait for it (bounded).
    const counted = () => p.metrics.closed.some((c) => c.protocol === 'tcp' && c.bytesIn >= 3 && c.bytesOut >= 'hello;abcbye'.length);
    for (let i = 0; i < 200 && !counted(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(counted(), JSON.stringify(p.metrics.closed));
  });

  it('closes the client when the upstream is unreachable', async () => {
    const out = await exchange(dead.port(), 'x');
    assert.equal(out, '');
  });
});
