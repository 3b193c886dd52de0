// The `npm start` demo's plugin wiring (runtime/demo/config.yaml + plugins.ts), checked end to end
// through a real Remora with the demo app: a 401, a 200 with the printed token, a 429 after the
// burst, and the canary route chosen by header-router.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { startRemora, cleanupList, type RemoraProcess } from '../test/support/remora.ts';
import { httpRequest, admin } from '../test/support/clients.ts';
import { startDemoApp, type DemoApp } from '../runtime/demo/app.ts';
import { DEMO_CONFIG } from '../runtime/demo/demo.ts';
import { demoToken } from '../runtime/demo/plugins.ts';
import { loadConfig } from '../runtime/config/load.ts';
import { buildAllPlugins } from './build.ts';

const scope = cleanupList();
let remora: RemoraProcess;
let app: DemoApp;
let token: string;

before(async () => {
  await buildAllPlugins();
  app = await startDemoApp('127.0.0.1', 0);
  scope.after(() => app.close());
  // The shipped demo config, with plugin paths made absolute and the app on the test's port.
  const config = parse(readFileSync(DEMO_CONFIG, 'utf8')) as Record<string, any>;
  for (const p of config.plugins) p.url = resolve(dirname(DEMO_CONFIG), p.url);
  for (const c of config.clusters) c.endpoints = [`127.0.0.1:${app.port}`];
  token = demoToken(await loadConfig(DEMO_CONFIG))!;
  assert.ok(token, 'the demo config yields a token');
  remora = await startRemora(scope, config);
});

after(() => scope.run());

const inbound = () => remora.ports.inbound!;

test('demo: /secure/items without a token is refused by auth with 401', async () => {
  const r = await httpRequest(inbound(), { path: '/secure/items' });
  assert.equal(r.status, 401);
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="remora-demo"');
});

test('demo: the printed token gets 200 from the app (path rewritten to /api/items), then 429 after the burst', async () => {
  const auth = { authorization: `Bearer ${token}` };
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < 4; i++) {
    last = await httpRequest(inbound(), { path: '/secure/items', headers: auth });
    statuses.push(last.status);
    if (i === 0) assert.equal(JSON.parse(last.body.toString()).items.length, 3);
  }
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  assert.ok(Number(last!.headers['retry-after']) >= 1);
  assert.equal(last!.headers['ratelimit-limit'], '3');
});

test('demo: x-canary: 1 is routed to the canary route and cluster', async () => {
  const r = await httpRequest(inbound(), { path: '/echo', headers: { 'x-canary': '1' } });
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body.toString()).headers['x-remora-cluster'], 'app-canary');
  const metrics = await admin(remora.adminPort, '/metrics');
  assert.match(metrics.text, /remora_requests_total\{[^}]*route="canary",cluster="app-canary"[^}]*\} 1/);
});
