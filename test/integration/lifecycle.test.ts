// Process lifecycle: SIGTERM drains an in-flight request then exits 0; SIGHUP reloads a changed
// config without dropping kept-alive connections or in-flight requests; a broken config on
// SIGHUP is logged and the old config keeps serving.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { basename } from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { logLevel, startRemora } from '../support/remora.ts';
import { makeSelfSignedCert, type TestCert } from '../support/tls.ts';
import { admin, eventually, h2Request, httpRequest, json } from '../support/clients.ts';
import { proxyConfig, singleClusterConfig } from '../support/config.ts';
import { startHttp1Upstream, startTcpEchoUpstream, startWebSocketUpstream, type EchoReply } from '../support/upstreams.ts';

const TIMEOUT = { timeout: 20_000 };

test('SIGTERM lets an in-flight slow request complete, then exits 0', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint, { extra: { shutdownGracePeriod: '10s' } }));
  const inFlight = httpRequest(remora.ports.main!, { path: '/slow?ms=800' });
  await eventually(async () => assert.equal(upstream.requests.length, 1));
  const exitCode = remora.stop('SIGTERM');
  const reply = await inFlight;
  assert.equal(reply.status, 200);
  assert.equal(reply.body.toString(), 'slow done');
  assert.equal(await exitCode, 0);
});

test('SIGTERM with an in-flight HTTP/2 stream: the stream completes, then exit 0', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint, { extra: { shutdownGracePeriod: '10s' } }));
  const session = http2.connect(`http://127.0.0.1:${remora.ports.main}`);
  session.on('error', () => {});
  t.after(() => session.destroy());
  const inFlight = h2Request(session, { path: '/slow?ms=800' });
  await eventually(async () => assert.equal(upstream.requests.length, 1));
  const exitCode = remora.stop('SIGTERM');
  const reply = await inFlight;
  assert.equal(reply.status, 200);
  assert.equal(reply.body.toString(), 'slow done');
  assert.equal(await exitCode, 0);
});

test('SIGTERM with a request outliving the grace period: exits 0 after the grace period, the request is cut', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint, { extra: { shutdownGracePeriod: '300ms' } }));
  const inFlight = httpRequest(remora.ports.main!, { path: '/slow?ms=60000', timeoutMs: 15_000 }).then(
    (reply) => ({ status: reply.status, error: undefined as unknown }),
    (error: unknown) => ({ status: 0, error }),
  );
  await eventually(async () => assert.equal(upstream.requests.length, 1));
  assert.equal(await remora.stop('SIGTERM'), 0);
  const outcome = await inFlight;
  assert.ok(outcome.error !== undefined || outcome.status >= 500, `the cut request must not look successful (status ${outcome.status})`);
});

test('SIGINT drains like SIGTERM: in-flight request completes, exit 0', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint));
  const inFlight = httpRequest(remora.ports.main!, { path: '/slow?ms=500' });
  await eventually(async () => assert.equal(upstream.requests.length, 1));
  const exitCode = remora.stop('SIGINT');
  assert.equal((await inFlight).body.toString(), 'slow done');
  assert.equal(await exitCode, 0);
});

test('SIGHUP with a new route: new route works, old keep-alive connection and in-flight request survive', TIMEOUT, async (t) => {
  const oldApp = await startHttp1Upstream({ name: 'old' });
  const newApp = await startHttp1Upstream({ name: 'new' });
  t.after(() => oldApp.close());
  t.after(() => newApp.close());
  const clusters = [{ name: 'old', endpoints: [oldApp.endpoint] }, { name: 'new', endpoints: [newApp.endpoint] }];
  const before = proxyConfig({ routes: [{ name: 'catch-all', match: { pathPrefix: '/' }, cluster: 'old' }], clusters });
  const remora = await startRemora(t, before);
  const port = remora.ports.main!;

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const first = await httpRequest(port, { path: '/new/x', agent });
  assert.equal(first.headers['x-upstream'], 'old', 'before the reload /new goes to the catch-all');
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  t.after(() => session.destroy());
  assert.equal((await h2Request(session, { path: '/new/h2' })).headers['x-upstream'], 'old');

  const inFlight = httpRequest(port, { path: '/slow?ms=1000' });
  await eventually(async () => assert.ok(oldApp.requests.some((r) => r.url.startsWith('/slow'))));

  remora.reload(proxyConfig({
    routes: [
      { name: 'new-route', match: { pathPrefix: '/new' }, cluster: 'new' },
      { name: 'catch-all', match: { pathPrefix: '/' }, cluster: 'old' },
    ],
    clusters,
  }));
  await eventually(async () => {
    const reply = await httpRequest(port, { path: '/new/y' });
    assert.equal(reply.headers['x-upstream'], 'new');
  }, 8000, 100);

  const slow = await inFlight;
  assert.equal(slow.status, 200);
  assert.equal(slow.body.toString(), 'slow done');

  const again = await httpRequest(port, { path: '/new/z', agent });
  assert.equal(again.localPort, first.localPort, 'the keep-alive connection from before the reload is still in use');
  assert.equal(again.headers['x-upstream'], 'new', 'an old connection follows the new routes');
  const h2Again = await h2Request(session, { path: '/new/h2' });
  assert.equal(h2Again.headers['x-upstream'], 'new', 'an HTTP/2 session from before the reload follows the new routes');
  assert.equal(remora.process.exitCode, null);
});

test('SIGHUP keeps an open WebSocket and an opaque TCP connection, and /config shows the new routes', TIMEOUT, async (t) => {
  const ws = await startWebSocketUpstream();
  const tcp = await startTcpEchoUpstream();
  t.after(() => ws.close());
  t.after(() => tcp.close());
  const clusters = [{ name: 'ws', endpoints: [ws.endpoint] }, { name: 'tcp', endpoints: [tcp.endpoint] }];
  const listener = { defaultCluster: 'tcp', detectTimeout: '2s' };
  const remora = await startRemora(t, proxyConfig({ routes: [{ name: 'ws-v1', match: { pathPrefix: '/' }, cluster: 'ws' }], clusters, listener }));
  const port = remora.ports.main!;

  const client = new WebSocket(`ws://127.0.0.1:${port}/live`);
  t.after(() => client.terminate());
  await new Promise<void>((resolve, reject) => { client.once('open', () => resolve()); client.once('error', reject); });
  const echo = (text: string) => new Promise<string>((resolve) => {
    client.once('message', (data) => resolve(String(data)));
    client.send(text);
  });
  assert.equal(await echo('before'), 'echo:before');

  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  const tcpEcho = (bytes: Buffer) => new Promise<Buffer>((resolve) => {
    let got = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      if (got.length >= bytes.length) { socket.off('data', onData); resolve(got); }
    };
    socket.on('data', onData);
    socket.write(bytes);
  });
  assert.deepEqual(await tcpEcho(Buffer.from([0, 1, 2, 3])), Buffer.from([0, 1, 2, 3]));

  remora.reload(proxyConfig({ routes: [{ name: 'ws-v2', match: { pathPrefix: '/' }, cluster: 'ws' }], clusters, listener }));
  await eventually(async () => {
    const config = JSON.parse((await admin(remora.adminPort, '/config')).text);
    assert.equal(config.listeners[0].routes[0].name, 'ws-v2');
  }, 8000, 100);

  assert.equal(await echo('after'), 'echo:after');
  assert.deepEqual(await tcpEcho(Buffer.from([9, 8, 7])), Buffer.from([9, 8, 7]));
  assert.equal(ws.upgrades.length, 1, 'the same upgraded connection carried both messages');
  assert.equal(tcp.received.length, 1, 'the same TCP connection carried both writes');
});

test('SIGHUP moving a cluster to new endpoints and switching the access log on takes effect', TIMEOUT, async (t) => {
  const first = await startHttp1Upstream({ name: 'first' });
  const second = await startHttp1Upstream({ name: 'second' });
  t.after(() => first.close());
  t.after(() => second.close());
  const remora = await startRemora(t, singleClusterConfig(first.endpoint, { log: { accessLog: false } }));
  const port = remora.ports.main!;
  assert.equal((await httpRequest(port, { path: '/one' })).headers['x-upstream'], 'first');

  remora.reload(singleClusterConfig(second.endpoint, { log: { accessLog: true } }));
  await eventually(async () => {
    assert.equal((await httpRequest(port, { path: '/probe' })).headers['x-upstream'], 'second');
  }, 8000, 100);
  const seenByFirst = first.requests.length;
  for (let i = 0; i < 5; i++) {
    const reply = await httpRequest(port, { path: `/after/${i}`, headers: { 'x-request-id': `reloaded-${i}` } });
    assert.equal(reply.headers['x-upstream'], 'second');
  }
  assert.equal(first.requests.length, seenByFirst, 'the old endpoint gets no new requests');
  await remora.waitForLog((l) => JSON.stringify(l).includes('reloaded-4'), 5000);
});

test('SIGTERM with only idle keep-alive connections exits 0 without waiting out a long grace period', { timeout: 15_000 }, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint, { extra: { shutdownGracePeriod: '60s' } }));
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  assert.equal((await httpRequest(remora.ports.main!, { path: '/idle-h1', agent })).status, 200);
  const session = http2.connect(`http://127.0.0.1:${remora.ports.main}`);
  session.on('error', () => {});
  t.after(() => session.destroy());
  assert.equal((await h2Request(session, { path: '/idle-h2' })).status, 200);
  // Both connections are now idle; the test's 15 s timeout is far below the 60 s grace period.
  assert.equal(await remora.stop('SIGTERM'), 0);
});

test('SIGHUP rotates the TLS certificate and applies a new header limit to new connections', TIMEOUT, async (t) => {
  const before = makeSelfSignedCert(t);
  const after = makeSelfSignedCert(t);
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const config = (cert: TestCert, listener: Record<string, unknown> = {}) =>
    singleClusterConfig(upstream.endpoint, { listener: { tls: { cert: cert.certFile, key: cert.keyFile }, ...listener } });
  const remora = await startRemora(t, config(before));
  const port = remora.ports.main!;
  const fingerprint = () => new Promise<string>((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.on('error', reject);
  });
  const original = await fingerprint();
  assert.equal((await httpRequest(port, { path: '/big', headers: { 'x-big': 'z'.repeat(20 * 1024) } })).status, 431);

  remora.reload(config(after, { maxHeaderBytes: 32 * 1024 }));
  await eventually(async () => assert.notEqual(await fingerprint(), original), 8000, 100);
  const big = await httpRequest(port, { path: '/big', headers: { 'x-big': 'z'.repeat(20 * 1024) } });
  assert.equal(big.status, 200);
});

test('SIGHUP with a broken config logs the error and keeps serving with the old config', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint));
  const port = remora.ports.main!;
  assert.equal((await httpRequest(port, { path: '/before' })).status, 200);
  const logCount = remora.logs().length;

  // Unknown cluster: valid JSON, invalid config.
  remora.reload(proxyConfig({
    routes: [{ name: 'default', match: { pathPrefix: '/' }, cluster: 'no-such-cluster' }],
    clusters: [{ name: 'app', endpoints: [upstream.endpoint] }],
  }));
  const file = basename(remora.configPath);
  const logged = await remora.waitForLog((line) =>
    remora.logs().indexOf(line) >= logCount && logLevel(line) >= 40 && JSON.stringify(line).includes(file), 8000);
  assert.match(JSON.stringify(logged), /no-such-cluster|cluster/);

  const reply = await httpRequest(port, { path: '/after' });
  assert.equal(reply.status, 200);
  assert.equal(json<EchoReply>(reply).url, '/after');
  assert.equal(remora.process.exitCode, null, 'a bad reload must not stop the proxy');

  // And a YAML syntax error.
  remora.reload('listeners: [ {\n');
  await remora.waitForLog((line) =>
    remora.logs().indexOf(line) >= logCount && logLevel(line) >= 40 && line !== logged && JSON.stringify(line).includes(file), 8000);
  assert.equal((await httpRequest(port, { path: '/after-yaml' })).status, 200);
  assert.equal(remora.process.exitCode, null);
});
