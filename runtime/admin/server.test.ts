// The admin server over real HTTP on 127.0.0.1:0.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../log/logger.ts';
import { PrometheusProxyMetrics } from '../metrics/proxy-metrics.ts';
import { AdminServer } from './server.ts';

describe('AdminServer', () => {
  const logOut = new PassThrough();
  const logLines: Record<string, unknown>[] = [];
  logOut.on('data', (c: Buffer) => {
    for (const line of c.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
  });
  const log = createLogger({ log: { level: 'info', accessLog: false } }, { destination: logOut, env: {} });
  const metrics = new PrometheusProxyMetrics();
  let effective: unknown = { listeners: [{ name: 'inbound', boundAddress: '127.0.0.1:1234' }] };
  const admin = new AdminServer({ address: '127.0.0.1:0', log, registry: metrics.registry, config: () => effective });
  let base = '';

  before(async () => {
    const { port } = await admin.start();
    base = `http://127.0.0.1:${port}`;
  });
  after(() => admin.close());

  it('logs "admin ready" with the bound address', async () => {
    await new Promise((r) => setImmediate(r));
    const line = logLines.find((l) => l.msg === 'admin ready');
    assert.ok(line, 'admin ready logged');
    assert.equal(line.address, base.slice('http://'.length));
  });

  it('/live is 200; /ready is 503 until set ready, and again while draining', async () => {
    assert.equal((await fetch(`${base}/live`)).status, 200);
    const notReady = await fetch(`${base}/ready`);
    assert.equal(notReady.status, 503);
    assert.equal(await notReady.text(), 'not ready\n');
    admin.setReady(true);
    assert.equal((await fetch(`${base}/ready`)).status, 200);
    admin.setReady(false);
    assert.equal((await fetch(`${base}/ready`)).status, 503);
  });

  it('/metrics serves Prometheus text with the proxy series', async () => {
    metrics.requestStart({ listener: 'inbound', route: 'api', cluster: 'app' });
    metrics.requestEnd({ listener: 'inbound', route: 'api', cluster: 'app' }, 201, 2);
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.ok(text.includes('remora_requests_total{listener="inbound",route="api",cluster="app",code="201",classification="success"} 1'));
    assert.match(text, /^process_resident_memory_bytes \d+/m);
  });

  it('/config shows the current effective config', async () => {
    assert.deepEqual(await (await fetch(`${base}/config`)).json(), effective);
    effective = { reloaded: true };
    assert.deepEqual(await (await fetch(`${base}/config`)).json(), { reloaded: true });
  });

  it('/plugins is [] until a provider is registered', async () => {
    assert.deepEqual(await (await fetch(`${base}/plugins`)).json(), []);
    admin.setPluginsProvider(async () => [{ name: 'auth', state: 'running' }]);
    assert.deepEqual(await (await fetch(`${base}/plugins`)).json(), [{ name: 'auth', state: 'running' }]);
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(((await missing.json()) as { endpoints: string[] }).endpoints, ['/metrics', '/ready', '/live', '/config', '/plugins']);
    const post = await fetch(`${base}/ready`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('a port in use is an error naming the port', async () => {
    const port = Number(base.split(':').pop());
    const other = new AdminServer({ address: `127.0.0.1:${port}`, log, registry: metrics.registry, config: () => ({}) });
    await assert.rejects(other.start(), new RegExp(`already in use \\(port ${port}\\)`));
  });
});
