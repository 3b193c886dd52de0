// Admin server of a real Remora process: /ready, /live, /config, /plugins, /metrics after
// traffic; and the access log switched on and off.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { test } from 'node:test';
import { startRemora } from '../support/remora.ts';
import { admin, eventually, h2Request, httpRequest } from '../support/clients.ts';
import { proxyConfig, singleClusterConfig } from '../support/config.ts';
import { startHttp1Upstream, startTcpEchoUpstream } from '../support/upstreams.ts';

const TIMEOUT = { timeout: 15_000 };

/** Value of the first sample line whose name and labels all match, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

test('/ready, /live, /config and /plugins answer after start', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint));
  const ready = await admin(remora.adminPort, '/ready');
  assert.equal(ready.status, 200);
  const live = await admin(remora.adminPort, '/live');
  assert.equal(live.status, 200);

  const config = await admin(remora.adminPort, '/config');
  assert.equal(config.status, 200);
  assert.match(String(config.headers['content-type']), /json/);
  const effective = JSON.parse(config.text);
  assert.equal(effective.listeners[0].name, 'main');
  assert.equal(effective.listeners[0].routes[0].name, 'default');
  assert.equal(effective.clusters[0].name, 'app');
  assert.deepEqual(effective.clusters[0].endpoints, [upstream.endpoint]);

  const plugins = await admin(remora.adminPort, '/plugins');
  assert.equal(plugins.status, 200);
  assert.deepEqual(JSON.parse(plugins.text), []);
});

test('/metrics reports requests by route/cluster/code, latency, in-flight, connections, bytes and process metrics', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [{ name: 'api', match: { pathPrefix: '/api' }, cluster: 'app' }],
    clusters: [{ name: 'app', endpoints: [upstream.endpoint] }],
  }));
  const port = remora.ports.main!;
  for (let i = 0; i < 3; i++) assert.equal((await httpRequest(port, { path: '/api/x' })).status, 200);
  assert.equal((await httpRequest(port, { method: 'POST', path: '/api/post', body: 'x' })).status, 200);
  assert.equal((await httpRequest(port, { path: '/unrouted' })).status, 404);

  const metrics = await admin(remora.adminPort, '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(String(metrics.headers['content-type']), /^text\/plain/);
  const text = metrics.text;
  assert.equal(sample(text, 'remora_requests_total', { listener: 'main', route: 'api', cluster: 'app', code: '200' }), 4);
  assert.equal(sample(text, 'remora_requests_total', { listener: 'main', code: '404' }), 1);
  assert.equal(sample(text, 'remora_request_duration_ms_count', { route: 'api', cluster: 'app' }), 4);
  assert.ok(sample(text, 'remora_request_duration_ms_bucket', { route: 'api', cluster: 'app', le: '+Inf' }) === 4);
  assert.equal(sample(text, 'remora_requests_in_flight', { route: 'api', cluster: 'app' }), 0);
  assert.ok((sample(text, 'remora_connections_total', { listener: 'main' }) ?? 0) >= 5, 'five client connections were accepted');
  assert.ok((sample(text, 'remora_bytes_total', { listener: 'main', direction: 'in' }) ?? 0) > 0, 'bytes in by listener');
  assert.ok((sample(text, 'remora_bytes_total', { listener: 'main', direction: 'out' }) ?? 0) > 0, 'bytes out by listener');
  assert.match(text, /^remora_connections_open\{[^}]*listener="main"/m);
  assert.match(text, /^(remora_)?process_resident_memory_bytes \d/m);
  assert.match(text, /^(remora_)?process_cpu_user_seconds_total \d/m);
});

test('access log: one line per request with listener, route, cluster, status, duration, bytes and request id', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [{ name: 'default', match: { pathPrefix: '/logged' }, cluster: 'app' }],
    clusters: [{ name: 'app', endpoints: [upstream.endpoint] }],
    log: { accessLog: true },
  }));
  const reply = await httpRequest(remora.ports.main!, { method: 'POST', path: '/logged', body: 'twelve bytes', headers: { 'x-request-id': 'access-log-id-1' } });
  assert.equal(reply.status, 200);
  const line = await remora.waitForLog((l) => JSON.stringify(l).includes('access-log-id-1'), 5000);
  const text = JSON.stringify(line);
  assert.equal(line.listener, 'main');
  assert.equal(line.route, 'default');
  assert.equal(line.cluster, 'app');
  assert.equal(line.status, 200);
  assert.equal(typeof line.duration === 'number' || typeof line.durationMs === 'number', true, `duration missing: ${text}`);
  // Body bytes both ways, whatever the field names: 12 in, the echo's length out.
  const byteFields = Object.entries(line).filter(([k, v]) => /bytes/i.test(k) && typeof v === 'number').map(([, v]) => v);
  assert.ok(byteFields.includes(12), `request body bytes (12) missing: ${text}`);
  assert.ok(byteFields.includes(reply.body.length), `response body bytes (${reply.body.length}) missing: ${text}`);
  assert.equal(remora.logs().filter((l) => JSON.stringify(l).includes('access-log-id-1')).length, 1, 'exactly one line per request');

  // A proxy error is logged too, with its status and reason.
  assert.equal((await httpRequest(remora.ports.main!, { path: '/unrouted', headers: { 'x-request-id': 'access-log-id-2' } })).status, 404);
  const failed = await remora.waitForLog((l) => JSON.stringify(l).includes('access-log-id-2'), 5000);
  assert.equal(failed.status, 404);
  assert.ok(Object.values(failed).some((v) => typeof v === 'string' && /route/i.test(v)), `the reason is logged: ${JSON.stringify(failed)}`);
});

test('access log off: no per-request lines', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint, { log: { accessLog: false } }));
  for (let i = 0; i < 3; i++) {
    assert.equal((await httpRequest(remora.ports.main!, { path: '/quiet', headers: { 'x-request-id': `quiet-id-${i}` } })).status, 200);
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(remora.logs().some((l) => JSON.stringify(l).includes('quiet-id-')), false);
});

test('/metrics counts connections per protocol (http1, http2, tcp) and returns open connections to 0 after close', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  const tcp = await startTcpEchoUpstream();
  t.after(() => upstream.close());
  t.after(() => tcp.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [{ name: 'web', match: { pathPrefix: '/' }, cluster: 'app' }],
    clusters: [{ name: 'app', endpoints: [upstream.endpoint] }, { name: 'tcp', endpoints: [tcp.endpoint] }],
    listener: { defaultCluster: 'tcp' },
  }));
  const port = remora.ports.main!;
  assert.equal((await httpRequest(port, { path: '/one' })).status, 200);

  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  assert.equal((await h2Request(session, { path: '/two' })).status, 200);
  await new Promise<void>((resolve) => session.close(() => resolve()));

  const socket = net.connect(port, '127.0.0.1');
  const echoed = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write(Buffer.from([0, 42, 0, 42]));
  await echoed;
  await new Promise<void>((resolve) => { socket.once('close', () => resolve()); socket.end(); });

  await eventually(async () => {
    const text = (await admin(remora.adminPort, '/metrics')).text;
    for (const protocol of ['http1', 'http2', 'tcp']) {
      assert.equal(sample(text, 'remora_connections_total', { listener: 'main', protocol }), 1, `connections_total ${protocol}`);
      assert.equal(sample(text, 'remora_connections_open', { listener: 'main', protocol }), 0, `connections_open ${protocol}`);
    }
    assert.ok((sample(text, 'remora_bytes_total', { listener: 'main', direction: 'in' }) ?? 0) >= 4);
  });
});
