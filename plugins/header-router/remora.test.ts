// header-router in a real Remora process: the plugin sets x-remora-cluster, Remora re-matches the
// route table, and the request reaches the canary upstream; path and host rewrites reach the upstream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRemora, cleanupList, type RemoraProcess } from '../../test/support/remora.ts';
import { startHttp1Upstream, type HttpUpstream, type EchoReply } from '../../test/support/upstreams.ts';
import { httpRequest, json } from '../../test/support/clients.ts';
import { proxyConfig } from '../../test/support/config.ts';
import { buildPlugin, pluginWasmPath } from '../build.ts';

const scope = cleanupList();
let remora: RemoraProcess;
let app: HttpUpstream;
let canary: HttpUpstream;

before(async () => {
  await buildPlugin('header-router');
  app = await startHttp1Upstream({ name: 'app' });
  canary = await startHttp1Upstream({ name: 'canary' });
  scope.after(() => app.close());
  scope.after(() => canary.close());
  remora = await startRemora(scope, proxyConfig({
    routes: [
      // The router runs on the canary route too: a client-sent header matches it first, the plugin
      // strips it, and the re-match sends the request back to the default route.
      { name: 'canary', match: { pathPrefix: '/', headers: { 'x-remora-cluster': 'canary' } }, plugins: ['router'], cluster: 'canary' },
      { name: 'default', match: { pathPrefix: '/' }, plugins: ['router'], cluster: 'app' },
    ],
    clusters: [
      { name: 'app', endpoints: [app.endpoint] },
      { name: 'canary', endpoints: [canary.endpoint] },
    ],
    extra: {
      plugins: [{
        name: 'router',
        url: pluginWasmPath('header-router'),
        config: {
          rules: [
            { name: 'canary-header', when: [{ header: 'x-canary', exact: '1' }], cluster: 'canary' },
            { name: 'canary-cookie', when: [{ cookie: 'track', exact: 'canary' }], cluster: 'canary' },
            { name: 'legacy', when: [{ pathPrefix: '/old/' }], rewritePrefix: { from: '/old/', to: '/new/' }, host: 'legacy.internal' },
          ],
        },
      }],
    },
  }));
});

after(() => scope.run());

const port = () => remora.ports.main!;

test('a request with the canary header is routed to the canary cluster by Remora re-matching routes', async () => {
  const r = await httpRequest(port(), { path: '/items', headers: { 'x-canary': '1' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-upstream'], 'canary');
  assert.equal(json<EchoReply>(r).headers['x-remora-cluster'], 'canary');
});

test('a cookie rule routes to the canary; other requests stay on the default cluster', async () => {
  const byCookie = await httpRequest(port(), { path: '/items', headers: { cookie: 'a=1; track=canary' } });
  assert.equal(byCookie.headers['x-upstream'], 'canary');
  const plain = await httpRequest(port(), { path: '/items' });
  assert.equal(plain.headers['x-upstream'], 'app');
});

test('a client-sent x-remora-cluster is stripped before routing', async () => {
  const r = await httpRequest(port(), { path: '/items', headers: { 'x-remora-cluster': 'canary' } });
  assert.equal(r.headers['x-upstream'], 'app');
  assert.equal(json<EchoReply>(r).headers['x-remora-cluster'], undefined);
});

test('path prefix and host rewrites reach the upstream', async () => {
  const r = await httpRequest(port(), { path: '/old/orders?page=2' });
  assert.equal(r.status, 200);
  const echo = json<EchoReply>(r);
  assert.equal(echo.url, '/new/orders?page=2');
  assert.equal(echo.headers.host, 'legacy.internal');
});
