// rate-limit in a real Remora process: concurrent requests against a full bucket let exactly `burst`
// through, two plugin entries with one vmId share a budget, and keyBy identity works after auth.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRemora, runRemoraCli, cleanupList, type RemoraProcess } from '../../test/support/remora.ts';
import { startHttp1Upstream, type HttpUpstream } from '../../test/support/upstreams.ts';
import { httpRequest } from '../../test/support/clients.ts';
import { proxyConfig } from '../../test/support/config.ts';
import { buildPlugin, pluginWasmPath } from '../build.ts';

const scope = cleanupList();
let remora: RemoraProcess;
let app: HttpUpstream;
const BURST = 5;
const N = 24;

before(async () => {
  await Promise.all([buildPlugin('rate-limit'), buildPlugin('auth')]);
  app = await startHttp1Upstream({ name: 'app' });
  scope.after(() => app.close());
  const hourly = (burst: number) => ({ requestsPerUnit: 1, unit: 'hour', burst });
  remora = await startRemora(scope, proxyConfig({
    routes: [
      { name: 'burst', match: { pathPrefix: '/burst' }, plugins: ['limit-burst'], cluster: 'app' },
      { name: 'shared-a', match: { pathPrefix: '/a' }, plugins: ['limit-a'], cluster: 'app' },
      { name: 'shared-b', match: { pathPrefix: '/b' }, plugins: ['limit-b'], cluster: 'app' },
      { name: 'users', match: { pathPrefix: '/users' }, plugins: ['auth', 'limit-user'], cluster: 'app' },
    ],
    clusters: [{ name: 'app', endpoints: [app.endpoint] }],
    extra: {
      plugins: [
        { name: 'limit-burst', url: pluginWasmPath('rate-limit'), vmId: 'rl-burst', config: { routes: { burst: hourly(BURST) } } },
        // Two entries, one vmId: one budget (the default limit's buckets are shared by route).
        { name: 'limit-a', url: pluginWasmPath('rate-limit'), vmId: 'rl-shared', config: { limit: hourly(3) } },
        { name: 'limit-b', url: pluginWasmPath('rate-limit'), vmId: 'rl-shared', config: { limit: hourly(3), responseHeaders: false } },
        { name: 'auth', url: pluginWasmPath('auth'), config: { apiKeys: { keys: [{ name: 'alice', key: 'ka' }, { name: 'bob', key: 'kb' }] } } },
        { name: 'limit-user', url: pluginWasmPath('rate-limit'), vmId: 'rl-user', config: { keyBy: 'identity', limit: hourly(2) } },
      ],
    },
  }));
});

after(() => scope.run());

const port = () => remora.ports.main!;

test(`${N} concurrent requests against a bucket of ${BURST}: exactly ${BURST} pass, the rest get 429`, async () => {
  const replies = await Promise.all(Array.from({ length: N }, () => httpRequest(port(), { path: '/burst' })));
  const ok = replies.filter((r) => r.status === 200);
  const limited = replies.filter((r) => r.status === 429);
  assert.equal(ok.length, BURST);
  assert.equal(limited.length, N - BURST);
  assert.deepEqual(ok.map((r) => Number(r.headers['ratelimit-remaining'])).sort(), [0, 1, 2, 3, 4]);
  for (const r of limited) {
    assert.equal(r.headers['ratelimit-limit'], String(BURST));
    assert.equal(r.headers['ratelimit-remaining'], '0');
    assert.ok(Number(r.headers['retry-after']) >= 1, 'retry-after in seconds');
    assert.ok(Number(r.headers['ratelimit-reset']) > 0);
  }
  assert.equal(app.requests.filter((r) => r.url === '/burst').length, BURST, 'only allowed requests reached the app');
});

test('two plugin entries with the same vmId share one budget', async () => {
  const seq: number[] = [];
  for (const path of ['/a', '/b', '/a', '/b', '/a']) seq.push((await httpRequest(port(), { path })).status);
  assert.deepEqual(seq, [200, 200, 200, 429, 429]);
});

test('keyBy identity limits each authenticated caller separately', async () => {
  const as = (key: string) => httpRequest(port(), { path: '/users', headers: { 'x-api-key': key } });
  const alice = [];
  for (let i = 0; i < 3; i++) alice.push((await as('ka')).status);
  assert.deepEqual(alice, [200, 200, 429]);
  assert.equal((await as('kb')).status, 200);
  assert.equal((await httpRequest(port(), { path: '/users' })).status, 401, 'auth runs first');
});

test('remora check refuses an invalid plugin configuration, naming the field (exit 2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rate-limit-check-'));
  try {
    const file = join(dir, 'remora.json');
    writeFileSync(file, JSON.stringify(proxyConfig({
      routes: [{ name: 'default', match: { pathPrefix: '/' }, plugins: ['limit'], cluster: 'app' }],
      clusters: [{ name: 'app', endpoints: ['127.0.0.1:9'] }],
      extra: { plugins: [{ name: 'limit', url: pluginWasmPath('rate-limit'), config: { limit: { requestsPerUnit: 1, unit: 'fortnight' } } }] },
    })));
    const r = await runRemoraCli(['check', '-c', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr + r.stdout, /rate-limit: invalid configuration: limit\.unit: expected one of second, minute, hour, day/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
