// Routing through a real Remora: match by exact path, prefix, regex, method, headers, host;
// first match wins; weighted backends; per-route timeout (504); refused upstream (502/503);
// no route (404). Proxy errors carry remora-proxy-error.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { cleanupList, startRemora, type RemoraProcess } from '../support/remora.ts';
import { admin, httpRequest, json } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { closedPort, startHttp1Upstream, startWebSocketUpstream, type EchoReply, type HttpUpstream } from '../support/upstreams.ts';

const TIMEOUT = { timeout: 20_000 };

describe('route matching', () => {
  const cleanup = cleanupList();
  let remora: RemoraProcess;
  let port = 0;
  const up: Record<string, HttpUpstream> = {};

  before(async () => {
    for (const name of ['a', 'b', 'c']) {
      up[name] = await startHttp1Upstream({ name });
      cleanup.after(() => up[name]!.close());
    }
    const refused = await closedPort();
    remora = await startRemora(cleanup, proxyConfig({
      routes: [
        { name: 'exact', match: { path: '/exact' }, cluster: 'a' },
        { name: 'prefix', match: { pathPrefix: '/api' }, cluster: 'b' },
        { name: 'regex', match: { pathRegex: '/items/[0-9]+' }, cluster: 'c' },
        { name: 'method-post', match: { path: '/m', method: 'POST' }, cluster: 'a' },
        { name: 'method-any', match: { path: '/m' }, cluster: 'b' },
        { name: 'canary', match: { pathPrefix: '/hdr', headers: { 'x-canary': '1' } }, cluster: 'c' },
        { name: 'no-canary', match: { pathPrefix: '/hdr' }, cluster: 'a' },
        { name: 'host', match: { pathPrefix: '/host', host: 'example.svc' }, cluster: 'b' },
        { name: 'other-host', match: { pathPrefix: '/host' }, cluster: 'c' },
        { name: 'first', match: { pathPrefix: '/first' }, cluster: 'a' },
        { name: 'shadowed', match: { path: '/first/x' }, cluster: 'b' },
        { name: 'slow', match: { pathPrefix: '/slow' }, cluster: 'a', timeout: '300ms' },
        { name: 'refused', match: { pathPrefix: '/refused' }, cluster: 'down' },
      ],
      clusters: [
        { name: 'a', endpoints: [up.a!.endpoint] },
        { name: 'b', endpoints: [up.b!.endpoint] },
        { name: 'c', endpoints: [up.c!.endpoint] },
        { name: 'down', endpoints: [`127.0.0.1:${refused}`] },
      ],
    }));
    port = remora.ports.main!;
  });
  after(() => cleanup.run());

  async function upstreamFor(path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<string> {
    const reply = await httpRequest(port, { path, ...options });
    assert.equal(reply.status, 200, `${options.method ?? 'GET'} ${path}: status ${reply.status} ${reply.body}`);
    return String(reply.headers['x-upstream']);
  }

  test('exact path matches only that path', TIMEOUT, async () => {
    assert.equal(await upstreamFor('/exact'), 'a');
    assert.equal(await upstreamFor('/exact?q=1'), 'a', 'the query is not part of the path');
    const longer = await httpRequest(port, { path: '/exact/more' });
    assert.equal(longer.status, 404);
  });

  test('path prefix matches the prefix and below', TIMEOUT, async () => {
    assert.equal(await upstreamFor('/api'), 'b');
    assert.equal(await upstreamFor('/api/v1/users'), 'b');
  });

  test('path regex matches the whole path (anchored)', TIMEOUT, async () => {
    assert.equal(await upstreamFor('/items/42'), 'c');
    assert.equal(await upstreamFor('/items/42?page=2'), 'c', 'the query is not part of the matched path');
    assert.equal((await httpRequest(port, { path: '/items/42/extra' })).status, 404);
    assert.equal((await httpRequest(port, { path: '/items/abc' })).status, 404);
  });

  test('method narrows a match', TIMEOUT, async () => {
    assert.equal(await upstreamFor('/m', { method: 'POST' }), 'a');
    assert.equal(await upstreamFor('/m', { method: 'GET' }), 'b');
    assert.equal(await upstreamFor('/m', { method: 'DELETE' }), 'b');
  });

  test('header match requires the exact value', TIMEOUT, async () => {
    assert.equal(await upstreamFor('/hdr', { headers: { 'x-canary': '1' } }), 'c');
    assert.equal(await upstreamFor('/hdr', { headers: { 'x-canary': '2' } }), 'a');
    assert.equal(await upstreamFor('/hdr'), 'a');
  });

  test('host match ignores the port and case of the Host header', TIMEOUT, async () => {
    assert.equal(await upstreamFor('/host', { headers: { host: 'example.svc' } }), 'b');
    assert.equal(await upstreamFor('/host', { headers: { host: 'Example.SVC:8080' } }), 'b');
    assert.equal(await upstreamFor('/host', { headers: { host: 'other.svc' } }), 'c');
  });

  test('first matching route wins', TIMEOUT, async () => {
    assert.equal(await upstreamFor('/first/x'), 'a');
  });

  test('no matching route is a 404 with remora-proxy-error', TIMEOUT, async () => {
    const reply = await httpRequest(port, { path: '/nowhere' });
    assert.equal(reply.status, 404);
    assert.ok(reply.headers['remora-proxy-error'], 'remora-proxy-error header expected');
    assert.equal(up.a!.requests.some((r) => r.url === '/nowhere') || up.b!.requests.some((r) => r.url === '/nowhere'), false);
  });

  test('route timeout answers 504 with remora-proxy-error', TIMEOUT, async () => {
    const reply = await httpRequest(port, { path: '/slow?ms=5000' });
    assert.equal(reply.status, 504);
    assert.ok(reply.headers['remora-proxy-error'], 'remora-proxy-error header expected');
    // The proxy still serves afterwards.
    assert.equal(await upstreamFor('/exact'), 'a');
  });

  test('refused upstream connection answers 502 or 503 with remora-proxy-error', TIMEOUT, async () => {
    const reply = await httpRequest(port, { path: '/refused' });
    assert.ok(reply.status === 502 || reply.status === 503, `status ${reply.status}`);
    assert.ok(reply.headers['remora-proxy-error'], 'remora-proxy-error header expected');
    assert.equal(await upstreamFor('/api'), 'b');
  });

  test('proxy errors are counted as failures in /metrics by route and code', TIMEOUT, async () => {
    const text = (await admin(remora.adminPort, '/metrics')).text;
    assert.match(text, /^remora_requests_total\{[^}]*route="slow"[^}]*code="504"[^}]*classification="failure"[^}]*\} [1-9]/m);
    assert.match(text, /^remora_requests_total\{[^}]*route="refused"[^}]*code="50[23]"[^}]*classification="failure"[^}]*\} [1-9]/m);
    assert.match(text, /^remora_requests_total\{[^}]*route="exact"[^}]*cluster="a"[^}]*code="200"[^}]*classification="success"[^}]*\} [1-9]/m);
  });
});

test('weighted backends split traffic 90/10 within a wide statistical bound', { timeout: 30_000 }, async (t) => {
  const heavy = await startHttp1Upstream({ name: 'heavy' });
  const light = await startHttp1Upstream({ name: 'light' });
  t.after(() => heavy.close());
  t.after(() => light.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [{ name: 'split', match: { pathPrefix: '/' }, backends: [{ cluster: 'heavy', weight: 90 }, { cluster: 'light', weight: 10 }] }],
    clusters: [{ name: 'heavy', endpoints: [heavy.endpoint] }, { name: 'light', endpoints: [light.endpoint] }],
  }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  t.after(() => agent.destroy());
  const total = 1000;
  const counts: Record<string, number> = {};
  let next = 0;
  async function worker(): Promise<void> {
    while (next < total) {
      next++;
      const reply = await httpRequest(remora.ports.main!, { path: '/w', agent });
      assert.equal(reply.status, 200);
      const name = json<EchoReply>(reply).upstream.split(':')[0]!;
      counts[name] = (counts[name] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  assert.equal((counts.heavy ?? 0) + (counts.light ?? 0), total);
  // Binomial(1000, 0.1): mean 100, sd 9.5; [40, 170] is more than 6 sd either way.
  assert.ok((counts.light ?? 0) >= 40 && (counts.light ?? 0) <= 170, `light got ${counts.light}`);
});

test('a cluster with two endpoints spreads requests over both', TIMEOUT, async (t) => {
  const one = await startHttp1Upstream({ name: 'one' });
  const two = await startHttp1Upstream({ name: 'two' });
  t.after(() => one.close());
  t.after(() => two.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [{ name: 'all', match: { pathPrefix: '/' }, cluster: 'pair' }],
    clusters: [{ name: 'pair', endpoints: [one.endpoint, two.endpoint] }],
  }));
  for (let i = 0; i < 40; i++) assert.equal((await httpRequest(remora.ports.main!, { path: `/rr/${i}` })).status, 200);
  assert.equal(one.requests.length + two.requests.length, 40);
  assert.ok(one.requests.length > 0 && two.requests.length > 0, `one: ${one.requests.length}, two: ${two.requests.length}`);
});

test('route timeout bounds the wait for response headers only: a slow body and a WebSocket outlive it', TIMEOUT, async (t) => {
  const slowBody = await startHttp1Upstream({
    name: 'slow-body',
    handler: (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('head-now;');
      const timer = setTimeout(() => res.end('body-later'), 2000);
      res.on('close', () => clearTimeout(timer));
    },
  });
  const ws = await startWebSocketUpstream();
  t.after(() => slowBody.close());
  t.after(() => ws.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [
      { name: 'ws', match: { pathPrefix: '/ws' }, cluster: 'ws', timeout: '1500ms' },
      { name: 'stream', match: { pathPrefix: '/' }, cluster: 'slow-body', timeout: '1500ms' },
    ],
    clusters: [{ name: 'slow-body', endpoints: [slowBody.endpoint] }, { name: 'ws', endpoints: [ws.endpoint] }],
  }));
  const port = remora.ports.main!;
  const reply = await httpRequest(port, { path: '/stream' });
  assert.equal(reply.status, 200);
  assert.equal(reply.body.toString(), 'head-now;body-later');

  const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  t.after(() => client.terminate());
  await new Promise<void>((resolve, reject) => { client.once('open', () => resolve()); client.once('error', reject); });
  await new Promise((r) => setTimeout(r, 2000));
  const answer = new Promise<string>((resolve, reject) => {
    client.once('message', (data) => resolve(String(data)));
    client.once('close', (code) => reject(new Error(`WebSocket closed (${code}) before answering`)));
  });
  client.send('still there?');
  assert.equal(await answer, 'echo:still there?');
});

test('maxConnectionsPerEndpoint caps upstream connections; extra requests queue and still complete', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [{ name: 'all', match: { pathPrefix: '/' }, cluster: 'narrow' }],
    clusters: [{ name: 'narrow', endpoints: [upstream.endpoint], maxConnectionsPerEndpoint: 2 }],
  }));
  const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => httpRequest(remora.ports.main!, { path: `/slow?ms=150&i=${i}` })));
  for (const reply of replies) assert.equal(reply.body.toString(), 'slow done');
  assert.ok(upstream.connections() <= 2, `upstream saw ${upstream.connections()} connections`);
});
