// header-router as a plugin: built with plugins/build.ts and hosted in-process by the SDK harness on
// Remora's abi/ host (no sockets).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadPlugin, PluginStartError, type PluginHarness } from '@remora/sdk/harness';
import { buildPlugin, pluginWasmPath } from '../build.ts';

const wasm = pluginWasmPath('header-router');
const config = {
  rules: [
    { name: 'canary', when: [{ header: 'x-canary', exact: '1' }], cluster: 'app-canary', setHeaders: { 'x-variant': 'canary' } },
    { name: 'beta', when: [{ cookie: 'beta', exact: 'yes' }, { pathPrefix: '/api/' }], cluster: 'app-beta' },
    { name: 'legacy', when: [{ pathPrefix: '/v1/' }], rewritePrefix: { from: '/v1/', to: '/api/' }, host: 'legacy.internal' },
  ],
};
let h: PluginHarness;

before(async () => {
  await buildPlugin('header-router');
  h = await loadPlugin(wasm, { config });
});

test('a header rule selects the cluster by setting x-remora-cluster, and sets headers', async () => {
  const s = await h.request({ request: { headers: { ':path': '/anything', 'x-canary': '1' } } });
  assert.equal(s.upstreamRequest?.headers.get('x-remora-cluster'), 'app-canary');
  assert.equal(s.upstreamRequest?.headers.get('x-variant'), 'canary');
  assert.equal(s.response.status, 200);
});

test('a cookie and path rule matches only when both hold', async () => {
  const both = await h.request({ request: { headers: { ':path': '/api/items', cookie: 'session=1; beta=yes' } } });
  assert.equal(both.upstreamRequest?.headers.get('x-remora-cluster'), 'app-beta');
  const cookieOnly = await h.request({ request: { headers: { ':path': '/web', cookie: 'beta=yes' } } });
  assert.equal(cookieOnly.upstreamRequest?.headers.has('x-remora-cluster'), false);
});

test('cookies split over several cookie headers (as HTTP/2 clients send them) are all seen', async () => {
  const s = await h.request({ request: { headers: [[':path', '/api/items'], ['cookie', 'session=1'], ['cookie', 'beta=yes']] } });
  assert.equal(s.upstreamRequest?.headers.get('x-remora-cluster'), 'app-beta');
});

test('the first matching rule wins', async () => {
  const s = await h.request({ request: { headers: { ':path': '/api/x', 'x-canary': '1', cookie: 'beta=yes' } } });
  assert.equal(s.upstreamRequest?.headers.get('x-remora-cluster'), 'app-canary');
});

test('path prefix and host are rewritten, the query kept', async () => {
  const s = await h.request({ request: { headers: { ':path': '/v1/orders?page=2', ':authority': 'shop.example' } } });
  assert.equal(s.upstreamRequest?.headers.get(':path'), '/api/orders?page=2');
  assert.equal(s.upstreamRequest?.headers.get(':authority'), 'legacy.internal');
});

test('a client cannot pick the cluster itself: its x-remora-cluster is removed', async () => {
  const s = await h.request({ request: { headers: { ':path': '/', 'x-remora-cluster': 'admin-backend' } } });
  assert.equal(s.upstreamRequest?.headers.has('x-remora-cluster'), false);
  assert.deepEqual(s.actions.map((a) => a.action), ['continue', 'continue']);
});

test('an invalid configuration stops the plugin with the field path in its log', async () => {
  await assert.rejects(loadPlugin(wasm, { config: { rules: [{ when: [{ header: 'x' }] }] } }), (e: unknown) => {
    assert.ok(e instanceof PluginStartError);
    assert.ok(e.logs.some((l) => l.message.includes('header-router: invalid configuration: rules[0]: expected at least one action')), JSON.stringify(e.logs));
    return true;
  });
});
