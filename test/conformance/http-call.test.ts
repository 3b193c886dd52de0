// proxy-runtime http-call fixture through a real Remora: the request pauses while the plugin
// calls an auth cluster (proxy_http_call), then resumes with a header from the answer or is
// denied with a local reply; calls to an unknown or dead cluster fail the request cleanly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupList, startRemora } from '../support/remora.ts';
import { closedPort, startHttp1Upstream, type EchoReply, type HttpUpstream } from '../support/upstreams.ts';
import { httpRequest, json } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { header, plugin } from './support.ts';

describe('proxy-runtime http-call plugin', () => {
  const cleanup = cleanupList();
  let app: HttpUpstream;
  let auth: HttpUpstream;
  let port: number;

  before(async () => {
    app = await startHttp1Upstream({ name: 'app' });
    cleanup.after(() => app.close());
    auth = await startHttp1Upstream({
      name: 'auth',
      handler: (req, res) => {
        req.resume();
        const good = req.url === '/check' && req.headers['x-token'] === 'good';
        res.writeHead(good ? 200 : 401, { 'content-type': 'text/plain' });
        res.end(good ? 'alice' : 'nope');
      },
    });
    cleanup.after(() => auth.close());
    const dead = await closedPort();
    const remora = await startRemora(cleanup, proxyConfig({
      routes: [
        { name: 'unknown-cluster', match: { pathPrefix: '/unknown' }, cluster: 'app', plugins: ['call-unknown'] },
        { name: 'dead-cluster', match: { pathPrefix: '/dead' }, cluster: 'app', plugins: ['call-dead'] },
        { name: 'guarded', match: { pathPrefix: '/' }, cluster: 'app', plugins: ['call-auth'] },
      ],
      clusters: [
        { name: 'app', endpoints: [app.endpoint] },
        { name: 'auth', endpoints: [auth.endpoint] },
        { name: 'auth-dead', endpoints: [`127.0.0.1:${dead}`] },
      ],
      extra: {
        plugins: [
          plugin({ name: 'call-auth', fixture: 'http-call', rootId: 'http_call', config: 'auth' }),
          plugin({ name: 'call-unknown', fixture: 'http-call', rootId: 'http_call', config: 'no-such-cluster', vmId: 'unknown' }),
          plugin({ name: 'call-dead', fixture: 'http-call', rootId: 'http_call', config: 'auth-dead', vmId: 'dead' }),
        ],
      },
    }));
    port = remora.ports.main!;
  });
  after(() => cleanup.run());

  test('an allowed request is paused, checked by the auth cluster, and resumed with the answer added', async () => {
    const reply = await httpRequest(port, { path: '/echo', headers: { 'x-token': 'good' } });
    assert.equal(reply.status, 200);
    const echo = json<EchoReply>(reply);
    assert.equal(echo.url, '/echo');
    assert.equal(echo.headers['x-auth-user'], 'alice');
    const call = auth.requests.at(-1)!;
    assert.equal(call.method, 'GET');
    assert.equal(call.url, '/check');
    assert.equal(call.headers['x-token'], 'good');
  });

  test('a denied request gets the plugin\'s 403 from the callout callback and never reaches the app', async () => {
    const seen = app.requests.length;
    const reply = await httpRequest(port, { path: '/echo', headers: { 'x-token': 'bad' } });
    assert.equal(reply.status, 403);
    assert.equal(reply.body.toString(), 'denied by auth service: 401');
    assert.equal(header(reply.headers, 'x-auth-status'), '401');
    assert.equal(app.requests.length, seen);
  });

  test('concurrent paused requests each get their own answer', async () => {
    const tokens = ['good', 'bad', 'good', 'bad', 'good', 'good'];
    const replies = await Promise.all(tokens.map((token, i) => httpRequest(port, { path: `/echo/${i}`, headers: { 'x-token': token } })));
    replies.forEach((reply, i) => {
      if (tokens[i] === 'good') {
        assert.equal(reply.status, 200);
        assert.equal(json<EchoReply>(reply).url, `/echo/${i}`);
      } else {
        assert.equal(reply.status, 403);
      }
    });
  });

  test('a call to a cluster that is not configured is refused with BadArgument (the plugin answers 500)', async () => {
    const reply = await httpRequest(port, { path: '/unknown', headers: { 'x-token': 'good' } });
    assert.equal(reply.status, 500);
    assert.equal(reply.body.toString(), 'http call failed: 2');
  });

  test('a call to a cluster that refuses connections ends in a denial, not a hang or a pass', async () => {
    const seen = app.requests.length;
    const reply = await httpRequest(port, { path: '/dead', headers: { 'x-token': 'good' } });
    // Envoy reports a connect failure either as a 503 answer (-> plugin's 403 naming 503) or
    // as a failed call (headers == 0 -> plugin's 503); both deny.
    const text = reply.body.toString();
    assert.ok(
      (reply.status === 403 && text === 'denied by auth service: 503') || (reply.status === 503 && text === 'auth service unreachable'),
      `unexpected ${reply.status} ${text}`,
    );
    assert.equal(app.requests.length, seen);
  });
});
