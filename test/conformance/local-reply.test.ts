// proxy-runtime local-reply fixture through a real Remora: proxy_send_local_response from the
// request path (with the plugin's own response callback run on the reply, as Envoy does) and
// from the response path (replacing the upstream's answer).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupList, startRemora } from '../support/remora.ts';
import { startHttp1Upstream, type HttpUpstream } from '../support/upstreams.ts';
import { httpRequest } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { header, plugin } from './support.ts';

describe('proxy-runtime local-reply plugin', () => {
  const cleanup = cleanupList();
  let upstream: HttpUpstream;
  let port: number;

  before(async () => {
    upstream = await startHttp1Upstream({ name: 'app' });
    cleanup.after(() => upstream.close());
    const remora = await startRemora(cleanup, proxyConfig({
      routes: [{ name: 'guarded', match: { pathPrefix: '/' }, cluster: 'app', plugins: ['local-reply'] }],
      clusters: [{ name: 'app', endpoints: [upstream.endpoint] }],
      extra: { plugins: [plugin({ name: 'local-reply', fixture: 'local-reply', rootId: 'local_reply' })] },
    }));
    port = remora.ports.main!;
  });
  after(() => cleanup.run());

  test('a request without x-token gets the plugin\'s 403 and never reaches the upstream', async () => {
    const seen = upstream.requests.length;
    const reply = await httpRequest(port, { path: '/private' });
    assert.equal(reply.status, 403);
    assert.equal(reply.body.toString(), 'forbidden by wasm');
    assert.equal(header(reply.headers, 'x-local-reply'), 'request');
    assert.equal(upstream.requests.length, seen);
  });

  test('the plugin\'s response callback runs on its own local reply', async () => {
    const reply = await httpRequest(port, { path: '/private' });
    assert.equal(reply.status, 403);
    assert.equal(header(reply.headers, 'x-saw-response'), '403');
  });

  test('a request with x-token passes through and the response callback sees the upstream status', async () => {
    const reply = await httpRequest(port, { path: '/echo', headers: { 'x-token': 't' } });
    assert.equal(reply.status, 200);
    assert.equal(header(reply.headers, 'x-saw-response'), '200');
    assert.equal(reply.headers['x-local-reply'], undefined);
    assert.equal(upstream.requests.at(-1)?.url, '/echo');
  });

  test('a local reply sent from the response headers callback replaces the upstream answer', async () => {
    const reply = await httpRequest(port, { path: '/status/500', headers: { 'x-token': 't' } });
    assert.equal(reply.status, 502);
    assert.equal(reply.body.toString(), 'replaced by wasm');
    assert.equal(header(reply.headers, 'x-local-reply'), 'response');
    assert.equal(reply.headers.etag, undefined, 'no upstream header leaks into the local reply');
  });
});
