// The demo app's endpoints, and the demo config wired end to end (addresses moved to port 0 so
// the test never needs the fixed demo ports): the curl lines the demo prints must work.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../log/logger.ts';
import { Remora } from '../cli/remora.ts';
import { startDemoApp } from './app.ts';
import type { DemoApp } from './app.ts';
import { DEMO_CONFIG } from './demo.ts';
import { demoExamples } from './examples.ts';
import type { DemoExample } from './examples.ts';

describe('demo app', () => {
  let app: DemoApp;
  let base = '';
  before(async () => {
    app = await startDemoApp('127.0.0.1', 0);
    base = `http://127.0.0.1:${app.port}`;
  });
  after(() => app.close());

  it('answers /, /api/items and /api/items/:id', async () => {
    assert.match(((await (await fetch(`${base}/`)).json()) as { hello: string }).hello, /demo app/);
    const items = (await (await fetch(`${base}/api/items`)).json()) as { items: Array<{ id: number }> };
    assert.deepEqual(items.items.map((i) => i.id), [1, 2, 3]);
    assert.deepEqual(await (await fetch(`${base}/api/items/2`)).json(), { id: 2, name: 'shark', kind: 'fish' });
    assert.equal((await fetch(`${base}/api/items/9`)).status, 404);
    assert.equal((await fetch(`${base}/nothing-here`)).status, 404);
  });

  it('/echo returns method, headers and body', async () => {
    const res = await fetch(`${base}/echo?x=1`, { method: 'PUT', body: 'payload', headers: { 'x-test': 'yes' } });
    const echo = (await res.json()) as { method: string; path: string; headers: Record<string, string>; body: string };
    assert.equal(echo.method, 'PUT');
    assert.equal(echo.path, '/echo?x=1');
    assert.equal(echo.headers['x-test'], 'yes');
    assert.equal(echo.body, 'payload');
  });

  it('/slow waits the asked time and says so', async () => {
    assert.deepEqual(await (await fetch(`${base}/slow?ms=5`)).json(), { sleptMs: 5 });
  });
});

describe('demo config', () => {
  it('is valid and uses the documented ports', async () => {
    const config = await loadConfig(DEMO_CONFIG);
    assert.equal(config.admin.address, '127.0.0.1:4191');
    assert.deepEqual(config.listeners.map((l) => [l.name, l.address]), [['inbound', '0.0.0.0:4143'], ['outbound', '127.0.0.1:4140']]);
    assert.deepEqual(config.clusters.find((c) => c.name === 'app')?.endpoints, ['127.0.0.1:8080']);
    assert.equal(config.log.accessLog, true);
  });

  describe('served by Remora in front of the demo app', () => {
    let app: DemoApp;
    let remora: Remora;
    let inbound = '';
    let outbound = '';
    let admin = '';
    before(async () => {
      app = await startDemoApp('127.0.0.1', 0);
      // The demo config as shipped, moved off the fixed ports.
      const config = await loadConfig(DEMO_CONFIG);
      config.admin.address = '127.0.0.1:0';
      for (const l of config.listeners) l.address = '127.0.0.1:0';
      // Every cluster standing for the demo app (app, app-canary) points at the test's app.
      for (const c of config.clusters) if (c.endpoints.includes('127.0.0.1:8080')) c.endpoints = [`127.0.0.1:${app.port}`];
      const log = createLogger(config, { destination: new PassThrough().resume(), env: {} });
      remora = await Remora.start(config, { log });
      const a = remora.listenerAddresses();
      inbound = `http://127.0.0.1:${a.get('inbound')!.port}`;
      outbound = `http://127.0.0.1:${a.get('outbound')!.port}`;
      admin = `http://127.0.0.1:${remora.adminAddress()!.port}`;
    });
    after(async () => {
      await remora.stop(0);
      await app.close();
    });

    it('the printed curl lines work', async () => {
      const items = await fetch(`${inbound}/api/items`);
      assert.equal(items.status, 200);
      assert.equal(((await items.json()) as { items: unknown[] }).items.length, 3);
      const echo = (await (await fetch(`${inbound}/echo`, { method: 'POST', body: 'hi' })).json()) as { headers: Record<string, string>; body: string };
      assert.equal(echo.body, 'hi');
      assert.ok(echo.headers['x-request-id'], 'x-request-id added');
      assert.ok(echo.headers['x-forwarded-for'], 'x-forwarded-for added');
      assert.equal((await fetch(`${outbound}/api/items/1`)).status, 200);
      const metrics = await (await fetch(`${admin}/metrics`)).text();
      assert.match(metrics, /remora_requests_total\{listener="inbound",route="api",cluster="app",code="200",classification="success"\} 1/);
      assert.equal((await fetch(`${admin}/ready`)).status, 200);
    });

    it('every example the demo prints does what it says', async () => {
      const strip = (u: string) => u.slice('http://'.length);
      const sections = demoExamples({ inbound: strip(inbound), outbound: strip(outbound), admin: strip(admin) }, remora.currentConfig);
      const examples = sections.flatMap((s) => s.examples);
      assert.ok(examples.length >= 6);
      for (const example of examples) await runExample(example);
    });
  });
});

/**
 * Runs a printed curl line with fetch: URL, -X, -H, -d, and a trailing `| grep WORD`. The status
 * is expected to be the first HTTP status number the line's description mentions, else 2xx.
 */
async function runExample(example: DemoExample): Promise<void> {
  const [curl, grep] = example.command.split(/\s*\|\s*grep\s+/);
  const url = /'?(http:\/\/[^\s']+)'?/.exec(curl!)?.[1];
  assert.ok(url, `a URL in ${example.command}`);
  const headers: Record<string, string> = {};
  for (const m of curl!.matchAll(/-H\s+'([^:']+):\s*([^']*)'/g)) headers[m[1]!] = m[2]!;
  const data = /-d\s+'([^']*)'/.exec(curl!)?.[1];
  const method = /-X\s+(\w+)/.exec(curl!)?.[1] ?? (data !== undefined ? 'POST' : 'GET');
  const res = await fetch(url, { method, headers, body: data });
  const body = await res.text();
  const expected = /\b([1-5]\d\d)\b/.exec(example.shows)?.[1];
  if (expected) assert.equal(res.status, Number(expected), `${example.command}: ${body}`);
  else assert.ok(res.status >= 200 && res.status < 300, `${example.command} answered ${res.status}: ${body}`);
  if (grep) assert.ok(body.includes(grep.trim()), `${example.command}: output contains ${grep}`);
}
