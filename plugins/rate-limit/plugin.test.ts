// rate-limit as a plugin: built with plugins/build.ts and hosted in-process by the SDK harness on
// Remora's abi/ host. Several harness plugins with one vmId stand for several VMs sharing buckets.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadPlugin, PluginStartError, type PluginHarness } from '@remora/sdk/harness';
import { metricStore } from '../../abi/index.ts';
import { buildPlugin, pluginWasmPath } from '../build.ts';

/** A counter's value across the process (cells are shared by name, as in Remora): tests compare deltas. */
const counter = (name: string) => Number([...metricStore.cells()].find((c) => c.name === name)?.value ?? 0);

const wasm = pluginWasmPath('rate-limit');
let vmCounter = 0;
const freshVmId = () => `rate-limit-test-${process.pid}-${++vmCounter}`;

before(async () => {
  await buildPlugin('rate-limit');
});

async function statuses(h: PluginHarness, n: number, request: Parameters<PluginHarness['request']>[0] = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await h.request(request)).response.status);
  return out;
}

test('burst requests pass with ratelimit-* headers, then 429 with retry-after', async () => {
  const h = await loadPlugin(wasm, { vmId: freshVmId(), config: { limit: { requestsPerUnit: 1, unit: 'minute', burst: 3 } } });
  const overLimit0 = counter('ratelimit_over_limit_total');
  const first = await h.request();
  assert.equal(first.response.status, 200);
  assert.equal(first.response.headers.get('ratelimit-limit'), '3');
  assert.equal(first.response.headers.get('ratelimit-remaining'), '2');
  assert.equal(first.response.headers.get('ratelimit-reset'), '60', 'one token per minute to refill one');
  assert.deepEqual(await statuses(h, 3), [200, 200, 429]);
  const refused = await h.request();
  assert.equal(refused.response.status, 429);
  assert.equal(refused.upstreamRequest, undefined, 'a refused request never reaches the upstream');
  assert.equal(refused.localReply?.headers.get('ratelimit-remaining'), '0');
  assert.equal(refused.localReply?.headers.get('ratelimit-limit'), '3');
  const retry = Number(refused.localReply?.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `retry-after ${retry}`);
  assert.equal(counter('ratelimit_over_limit_total'), overLimit0 + 2);
});

test('clients are keyed by address (port ignored), by header, or by identity with the address as fallback', async () => {
  const byAddress = await loadPlugin(wasm, { vmId: freshVmId(), config: { limit: { requestsPerUnit: 1, unit: 'hour', burst: 1 } } });
  const from = (address: string) => ({ properties: { 'source.address': address } });
  assert.deepEqual(await statuses(byAddress, 2, from('10.0.0.1:1111')), [200, 429]);
  assert.deepEqual(await statuses(byAddress, 1, from('10.0.0.1:2222')), [429], 'same IP, other port');
  assert.deepEqual(await statuses(byAddress, 1, from('10.0.0.2:1111')), [200]);

  const byHeader = await loadPlugin(wasm, { vmId: freshVmId(), config: { keyBy: 'header', keyHeader: 'x-api-key', limit: { requestsPerUnit: 1, unit: 'hour', burst: 1 } } });
  const key = (k: string) => ({ request: { headers: { 'x-api-key': k } } });
  assert.deepEqual(await statuses(byHeader, 2, key('a')), [200, 429]);
  assert.deepEqual(await statuses(byHeader, 1, key('b')), [200]);

  const byIdentity = await loadPlugin(wasm, { vmId: freshVmId(), config: { keyBy: 'identity', limit: { requestsPerUnit: 1, unit: 'hour', burst: 1 } } });
  const user = (u: string) => ({ request: { headers: { 'x-remora-identity': u } } });
  assert.deepEqual(await statuses(byIdentity, 2, user('alice')), [200, 429]);
  assert.deepEqual(await statuses(byIdentity, 1, user('bob')), [200]);
  assert.deepEqual(await statuses(byIdentity, 2, from('10.9.9.9:1')), [200, 429], 'anonymous: by address');
});

test('per-route limits come from the route name; unlisted routes use the default or are not limited', async () => {
  const h = await loadPlugin(wasm, { vmId: freshVmId(), config: { routes: { api: { requestsPerUnit: 1, unit: 'hour', burst: 2 } } } });
  const route = (name: string) => ({ properties: { 'xds.route_name': name } });
  assert.deepEqual(await statuses(h, 3, route('api')), [200, 200, 429]);
  assert.deepEqual(await statuses(h, 5, route('web')), [200, 200, 200, 200, 200]);
  const withDefault = await loadPlugin(wasm, { vmId: freshVmId(), config: {
    limit: { requestsPerUnit: 1, unit: 'hour', burst: 1 },
    routes: { api: { requestsPerUnit: 1, unit: 'hour', burst: 2 } },
  } });
  assert.deepEqual(await statuses(withDefault, 2, route('web')), [200, 429]);
  assert.deepEqual(await statuses(withDefault, 3, route('api')), [200, 200, 429], 'the api route has its own bucket');
});

test('VMs with the same vmId share buckets through shared data; another vmId does not', async () => {
  const vmId = freshVmId();
  const config = { limit: { requestsPerUnit: 1, unit: 'hour', burst: 4 } };
  const a = await loadPlugin(wasm, { vmId, config });
  const b = await loadPlugin(wasm, { vmId, config });
  assert.notEqual(a.plugin.vm, b.plugin.vm, 'two separate VMs');
  const seen = [];
  for (let i = 0; i < 3; i++) {
    seen.push((await a.request()).response.status, (await b.request()).response.status);
  }
  assert.deepEqual(seen, [200, 200, 200, 200, 429, 429]);
  const other = await loadPlugin(wasm, { vmId: freshVmId(), config });
  assert.equal((await other.request()).response.status, 200);
});

test('buckets live in shared data: a change by another writer is seen by the next request', async () => {
  const h = await loadPlugin(wasm, { vmId: freshVmId(), config: { limit: { requestsPerUnit: 1, unit: 'hour', burst: 2 }, keyPrefix: 'rl' } });
  assert.equal((await h.request()).response.status, 200);
  const key = 'rl::a:127.0.0.1';
  const stored = h.getShared(key);
  assert.ok(stored, 'bucket stored under its key');
  // Another writer spends the remaining token (tokens 0, same timestamp).
  const drained = Buffer.from(stored.value);
  drained.writeDoubleLE(0, 0);
  assert.equal(h.setShared(key, drained, stored.cas), true);
  assert.equal((await h.request()).response.status, 429);
});

test('gRPC requests over the limit get RESOURCE_EXHAUSTED', async () => {
  const h = await loadPlugin(wasm, { vmId: freshVmId(), config: { limit: { requestsPerUnit: 1, unit: 'hour', burst: 1 } } });
  const grpcRequest = { request: { headers: { ':method': 'POST', ':path': '/pkg.Svc/Call', 'content-type': 'application/grpc+proto' } } };
  assert.equal((await h.request(grpcRequest)).localReply, undefined);
  const refused = await h.request(grpcRequest);
  assert.equal(refused.localReply?.status, 429);
  assert.equal(refused.localReply?.grpcStatus, 8);
});

test('responseHeaders false leaves allowed responses untouched', async () => {
  const h = await loadPlugin(wasm, { vmId: freshVmId(), config: { responseHeaders: false, limit: { requestsPerUnit: 5 } } });
  const s = await h.request();
  assert.equal(s.response.status, 200);
  assert.equal(s.response.headers.has('ratelimit-limit'), false);
});

test('an invalid configuration stops the plugin with the field path in its log', async () => {
  await assert.rejects(loadPlugin(wasm, { config: { limit: { requestsPerUnit: 0 } } }), (e: unknown) => {
    assert.ok(e instanceof PluginStartError);
    assert.ok(e.logs.some((l) => l.message === 'rate-limit: invalid configuration: limit.requestsPerUnit: expected an integer from 1 to 1e9'), JSON.stringify(e.logs));
    return true;
  });
});
