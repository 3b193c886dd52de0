import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupList, startRemora, runRemoraCli } from '../../test/support/remora.ts';
import { startHttp1Upstream, startTcpEchoUpstream, type HttpUpstream } from '../../test/support/upstreams.ts';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { echoClient, startGrpcUpstream, type GrpcUpstream } from '../../test/support/grpc.ts';
import { admin, eventually, h2Request, httpRequest, json } from '../../test/support/clients.ts';
import * as http2 from 'node:http2';
import { proxyConfig } from '../../test/support/config.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GLUE_PLUGIN, TCP_PLUGIN, TRAILER_PLUGIN, wasmFile } from './test/plugins.ts';

describe('proxy-wasm plugins in a real Remora process', { concurrency: 1 }, () => {
  let app: HttpUpstream;
  let auth: HttpUpstream;
  let grpcUp: GrpcUpstream;
  let wasm: string;
  before(async () => {
    grpcUp = await startGrpcUpstream();
    app = await startHttp1Upstream({ name: 'app' });
    auth = await startHttp1Upstream({ name: 'auth' });
    auth.handle('/check', (req, res) => {
      res.statusCode = req.headers['x-fail'] ? 401 : 200;
      res.end('checked');
    });
    wasm = await wasmFile(GLUE_PLUGIN);
  });
  after(() => Promise.all([app?.close(), auth?.close(), grpcUp?.close()]));
  // The first three tests never fail the VM, so they share one process (each start costs seconds).
  let shared: Awaited<ReturnType<typeof startRemora>> | undefined;
  const cleanup = cleanupList();
  after(() => cleanup.run());
  const healthy = async () => (shared ??= await startRemora(cleanup, config('close')));

  const config = (failStrategy: string) =>
    proxyConfig({
      routes: [
        { name: 'plain', match: { pathPrefix: '/plain' }, cluster: 'app' },
        { name: 'wasm', match: { pathPrefix: '/' }, cluster: 'app', plugins: ['glue'] },
      ],
      clusters: [
        { name: 'app', endpoints: [app.endpoint] },
        { name: 'auth', endpoints: [auth.endpoint] },
        { name: 'grpc', endpoints: [grpcUp.endpoint], protocol: 'http2' },
      ],
      extra: { plugins: [{ name: 'glue', url: wasm, failStrategy }] },
    });

  it('runs request and response callbacks, logs with the plugin name, shows /plugins and plugin metrics', async () => {
    const remora = await healthy();
    const res = await httpRequest(remora.ports.main!, { path: '/hello' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-wasm-res'], 'yes');
    assert.equal(json(res).headers['x-wasm-req'], 'yes');
    const line = await remora.waitForLog((l) => l.msg === 'hello from wasm');
    assert.equal(line.plugin, 'glue');
    const plugins = JSON.parse((await admin(remora.adminPort, '/plugins')).text);
    const list = Array.isArray(plugins) ? plugins : plugins.plugins;
    const glue = list.find((p: { name: string }) => p.name === 'glue');
    assert.equal(glue.abiVersion, '0.2.1');
    assert.equal(glue.state, 'running');
    assert.equal(glue.traps, 0);
    assert.ok(glue.callbacks.proxy_on_request_headers.count >= 1);
    const metrics = (await admin(remora.adminPort, '/metrics')).text;
    assert.match(metrics, /^wasm_requests_total [1-9]\d*$/m);
    const plain = await httpRequest(remora.ports.main!, { path: '/plain' });
    assert.equal(plain.headers['x-wasm-res'], undefined, 'routes without plugins are untouched');
  });

  it('buffers and rewrites the request body; local replies run the response callbacks', async () => {
    const remora = await healthy();
    const res = await httpRequest(remora.ports.main!, { method: 'POST', path: '/echo', body: 'payload', headers: { 'content-type': 'text/plain' } });
    assert.equal(res.status, 200);
    assert.equal(json(res).body, 'PRE:payload');
    const denied = await httpRequest(remora.ports.main!, { path: '/x', headers: { 'x-deny': '1' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.toString(), 'no entry');
    assert.equal(denied.headers['x-deny-reason'], 'test');
    assert.equal(denied.headers['x-wasm-res'], 'yes', 'the plugin saw its own local reply');
    assert.equal(app.requests.some((r) => r.url === '/x'), false);
  });

  it('http callouts to a named cluster pause the request until the plugin continues or replies', async () => {
    const remora = await healthy();
    const ok = await httpRequest(remora.ports.main!, { path: '/guarded', headers: { 'x-check': '1' } });
    assert.equal(ok.status, 200);
    assert.equal(json(ok).headers['x-auth'], 'ok');
    assert.ok(auth.requests.some((r) => r.url === '/check' && r.headers.host === 'auth.local'));
    await auth.close();
    const down = await httpRequest(remora.ports.main!, { path: '/guarded', headers: { 'x-check': '1' } });
    assert.equal(down.status, 403, 'unreachable cluster answers 503 to the plugin, which denies');
  });

  it('a gRPC callout to an HTTP/2 cluster pauses the request and its reply reaches the plugin', async () => {
    const remora = await healthy();
    const res = await httpRequest(remora.ports.main!, { path: '/grpc-guarded', headers: { 'x-grpc-check': '1' } });
    assert.equal(res.status, 200);
    assert.equal(json(res).headers['x-grpc'], 'hi');
    assert.equal(grpcUp.calls.at(-1)!.method, 'Unary');
  });

  it('a local reply with a gRPC status answers a gRPC client with that status and message', async () => {
    const remora = await healthy();
    const client = echoClient(`127.0.0.1:${remora.ports.main!}`);
    try {
      const md = new grpc.Metadata();
      md.set('x-grpc-deny', '1');
      const err = await new Promise<grpc.ServiceError | null>((resolve) => client.Unary({ text: 'hi' }, md, (e) => resolve(e)));
      assert.ok(err);
      assert.equal(err.code, grpc.status.PERMISSION_DENIED);
      assert.equal(err.details, 'no entry');
    } finally {
      client.close();
    }
  });

  it('a request body over the 1 MiB buffer limit of a buffering plugin gets 413', async () => {
    const remora = await healthy();
    const big = Buffer.alloc(1024 * 1024 + 10, 0x61);
    const res = await httpRequest(remora.ports.main!, { method: 'POST', path: '/big', body: big });
    assert.equal(res.status, 413);
    assert.equal(app.requests.some((r) => r.url === '/big'), false);
  });

  it('config reload keeps unchanged plugins (same root context) and starts changed ones on the shared VM', async (t) => {
    const remora = await startRemora(t, config('close'));
    const reloaded = async (n: number) => {
      await eventually(async () => {
        if (remora.logs().filter((l) => l.msg === 'config reloaded').length < n) throw new Error('not yet');
      });
    };
    const glue = async () => {
      const list = JSON.parse((await admin(remora.adminPort, '/plugins')).text);
      return (Array.isArray(list) ? list : list.plugins).find((p: { name: string }) => p.name === 'glue');
    };
    await httpRequest(remora.ports.main!, { path: '/one' });
    const before = await glue();
    remora.reload(config('close'));
    await reloaded(1);
    await httpRequest(remora.ports.main!, { path: '/two' });
    const same = await glue();
    assert.equal(same.callbacks.proxy_on_request_headers.count, before.callbacks.proxy_on_request_headers.count + 1, 'same plugin instance');
    assert.equal(same.callbacks.proxy_on_configure.count, 1);
    const changed = structuredClone(config('close')) as { plugins: Array<Record<string, unknown>> };
    changed.plugins[0]!.config = 'changed';
    remora.reload(changed);
    await reloaded(2);
    const res = await httpRequest(remora.ports.main!, { path: '/three' });
    assert.equal(res.headers['x-wasm-res'], 'yes');
    const fresh = await glue();
    assert.equal(fresh.callbacks.proxy_on_request_headers.count, 1, 'a new root context for the changed plugin');
    assert.equal(fresh.vmKey, before.vmKey, 'plugin configuration is not part of the VM key: the VM is shared');
  });

  it('failStrategy close: a trap answers 503 at once (also to a request paused on a callout), and to later requests', async (t) => {
    const hold = await startHttp1Upstream({ name: 'hold' });
    hold.handle('/check', () => {});
    t.after(() => hold.close());
    const cfg = config('close') as { clusters: Array<{ name: string; endpoints: string[] }> };
    cfg.clusters.find((c) => c.name === 'auth')!.endpoints = [hold.endpoint];
    const remora = await startRemora(t, cfg);
    // A request paused at the plugin, waiting for a callout answer that never comes.
    const paused = httpRequest(remora.ports.main!, { path: '/waits', headers: { 'x-check': '1' } });
    await eventually(async () => {
      if (!hold.requests.some((r) => r.url === '/check')) throw new Error('callout not sent yet');
    });
    const trapped = await httpRequest(remora.ports.main!, { path: '/t', headers: { 'x-trap': '1' } });
    assert.equal(trapped.status, 503);
    assert.equal(trapped.headers['remora-proxy-error'], 'plugin glue failed');
    const waited = await paused;
    assert.equal(waited.status, 503, 'the paused request is answered when the VM dies, not left hanging');
    assert.equal(waited.headers['remora-proxy-error'], 'plugin glue failed');
    const next = await httpRequest(remora.ports.main!, { path: '/after' });
    assert.equal(next.status, 503);
    assert.equal(next.headers['remora-proxy-error'], 'plugin glue failed');
    assert.equal((await httpRequest(remora.ports.main!, { path: '/plain' })).status, 200, 'other routes unaffected');
    const metrics = (await admin(remora.adminPort, '/metrics')).text;
    assert.match(metrics, /remora_plugin_failures_total\{plugin="glue"\} 1/);
    const failedLine = await remora.waitForLog((l) => l.msg === 'plugin failed');
    assert.equal(failedLine.plugin, 'glue');
    const list = JSON.parse((await admin(remora.adminPort, '/plugins')).text);
    const glue = (Array.isArray(list) ? list : list.plugins).find((p: { name: string }) => p.name === 'glue');
    assert.equal(glue.state, 'failed');
    assert.equal(glue.traps, 1);
  });

  it('failStrategy open: after a trap the plugin is skipped', async (t) => {
    const remora = await startRemora(t, config('open'));
    const trapped = await httpRequest(remora.ports.main!, { path: '/t', headers: { 'x-trap': '1' } });
    assert.equal(trapped.status, 200);
    const next = await httpRequest(remora.ports.main!, { path: '/after' });
    assert.equal(next.status, 200);
    assert.equal(next.headers['x-wasm-res'], undefined);
  });

  it('failStrategy reload: 503 meanwhile, then a fresh VM serves again', async (t) => {
    const remora = await startRemora(t, config('reload'));
    assert.equal((await httpRequest(remora.ports.main!, { path: '/t', headers: { 'x-trap': '1' } })).status, 503);
    assert.equal((await httpRequest(remora.ports.main!, { path: '/meanwhile' })).status, 503);
    const back = await eventually(async () => {
      const r = await httpRequest(remora.ports.main!, { path: '/back' });
      if (r.status !== 200) throw new Error(`still ${r.status}`);
      return r;
    }, 5000, 100);
    assert.equal(back.headers['x-wasm-res'], 'yes');
    await remora.waitForLog((l) => l.msg === 'plugin VM restarted');
  });
});

describe('remora check loads and starts every plugin', async () => {
  it('exit 2 naming plugins[i] when on_configure returns false; exit 0 for a good plugin', async () => {
    const bad = await wasmFile('(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 0))', 'bad');
    const good = await wasmFile(GLUE_PLUGIN, 'good');
    const dir = mkdtempSync(join(tmpdir(), 'remora-check-'));
    const write = (url: string, sha256?: string) => {
      const path = join(dir, `c${Math.random()}.json`);
      writeFileSync(path, JSON.stringify(proxyConfig({
        routes: [{ name: 'r', match: { pathPrefix: '/' }, cluster: 'app', plugins: ['p'] }],
        clusters: [{ name: 'app', endpoints: ['127.0.0.1:1'] }],
        extra: { plugins: [{ name: 'p', url, ...(sha256 ? { sha256 } : {}) }] },
      })));
      return path;
    };
    const r1 = await runRemoraCli(['check', '-c', write(bad)]);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /plugins\[0\]: plugin p: proxy_on_configure returned false/);
    const r2 = await runRemoraCli(['check', '-c', write(good)]);
    assert.equal(r2.code, 0, r2.stderr);
    const r3 = await runRemoraCli(['check', '-c', write(good, 'ab'.repeat(32))]);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /plugins\[0\]\.sha256: expected abab.*, but .* has sha256 [0-9a-f]{64}/);
  });
});

describe('proxy-wasm network plugins on opaque TCP', async () => {
  it('sees and rewrites bytes in both directions', async (t) => {
    const echo = await startTcpEchoUpstream();
    t.after(() => echo.close());
    const web = await startHttp1Upstream({ name: 'web' });
    t.after(() => web.close());
    const wasm = await wasmFile(TCP_PLUGIN, 'tcp');
    const remora = await startRemora(t, proxyConfig({
      routes: [{ name: 'web', match: { pathPrefix: '/' }, cluster: 'web' }],
      clusters: [{ name: 'web', endpoints: [web.endpoint] }, { name: 'echo', endpoints: [echo.endpoint] }],
      listener: { defaultCluster: 'echo', detectTimeout: '200ms', tcpPlugins: ['tcpw'] },
      extra: { plugins: [{ name: 'tcpw', url: wasm }] },
    }));
    const got = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(remora.ports.main!, '127.0.0.1');
      let data = '';
      sock.on('connect', () => sock.write('hello\n'));
      sock.on('data', (c) => {
        data += c.toString();
        if (data.endsWith('!')) {
          sock.end();
          resolve(data);
        }
      });
      sock.on('error', reject);
      setTimeout(() => reject(new Error(`timeout, got ${JSON.stringify(data)}`)), 5000).unref();
    });
    assert.equal(got, 'W:hello\n!');
    assert.equal(echo.received[0]!.toString(), 'W:hello\n');
  });
});

describe('trailers a plugin creates at the end of the response', async () => {
  it('reach an HTTP/2 client after the body', async (t) => {
    const web = await startHttp1Upstream({ name: 'web' });
    t.after(() => web.close());
    const wasm = await wasmFile(TRAILER_PLUGIN, 'trailers');
    const remora = await startRemora(t, proxyConfig({
      routes: [{ name: 'web', match: { pathPrefix: '/' }, cluster: 'web', plugins: ['trailers'] }],
      clusters: [{ name: 'web', endpoints: [web.endpoint] }],
      extra: { plugins: [{ name: 'trailers', url: wasm }] },
    }));
    const session = http2.connect(`http://127.0.0.1:${remora.ports.main}`);
    t.after(() => session.close());
    const reply = await h2Request(session, { path: '/with-trailers' });
    assert.equal(reply.status, 200);
    assert.equal(json<{ url: string }>(reply).url, '/with-trailers');
    assert.equal(reply.trailers['x-wasm-trailer'], 'done');
    // An HTTP/1 client of a content-length response cannot receive trailers: the response is unharmed.
    const h1 = await httpRequest(remora.ports.main!, { path: '/h1' });
    assert.equal(h1.status, 200);
    assert.equal(json<{ url: string }>(h1).url, '/h1');
  });
});
