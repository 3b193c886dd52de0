// proxy-runtime headers fixture through a real Remora: header map reads and edits in both
// directions, pseudo-headers, whole-map replacement, and chain order across two plugins.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupList, startRemora, type RemoraProcess } from '../support/remora.ts';
import { startHttp1Upstream, type EchoReply, type HttpUpstream } from '../support/upstreams.ts';
import http from 'node:http';
import http2 from 'node:http2';
import { h2Request, httpRequest, json } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { header, plugin } from './support.ts';

describe('proxy-runtime headers plugin', () => {
  const cleanup = cleanupList();
  let upstream: HttpUpstream;
  let remora: RemoraProcess;
  let port: number;

  before(async () => {
    upstream = await startHttp1Upstream({ name: 'app' });
    cleanup.after(() => upstream.close());
    remora = await startRemora(cleanup, proxyConfig({
      routes: [
        { name: 'chain', match: { pathPrefix: '/chain' }, cluster: 'app', plugins: ['chain-a', 'chain-b'] },
        { name: 'headers', match: { pathPrefix: '/' }, cluster: 'app', plugins: ['headers'] },
      ],
      clusters: [{ name: 'app', endpoints: [upstream.endpoint] }],
      extra: {
        plugins: [
          plugin({ name: 'headers', fixture: 'headers', rootId: 'headers', config: 'main' }),
          plugin({ name: 'chain-a', fixture: 'headers', rootId: 'headers', config: 'a' }),
          plugin({ name: 'chain-b', fixture: 'headers', rootId: 'headers', config: 'b' }),
        ],
      },
    }));
    port = remora.ports.main!;
  });
  after(() => cleanup.run());

  test('request headers: add, replace, remove and pseudo-headers reach the upstream as edited', async () => {
    const reply = await httpRequest(port, {
      path: '/echo?x=1',
      headers: { 'x-replace-me': 'old', 'x-remove-me': 'gone', 'x-multi': 'one' },
    });
    assert.equal(reply.status, 200);
    const echo = json<EchoReply>(reply);
    assert.equal(echo.headers['x-added'], 'yes');
    assert.equal(echo.headers['x-replace-me'], 'replaced');
    assert.equal(echo.headers['x-remove-me'], undefined);
    assert.equal(echo.headers['x-multi'], 'one, two', 'add keeps the existing value and adds a second one');
    assert.equal(echo.headers['x-chain'], 'main');
    assert.equal(echo.headers['x-pseudo'], `GET /echo?x=1 127.0.0.1:${port} http`);
  });

  test('request header pairs: every header is listed, pseudo-headers first, and the callback count matches', async () => {
    const reply = await httpRequest(port, { path: '/echo', headers: { 'x-replace-me': 'old', 'x-remove-me': 'gone' } });
    const names = String(json<EchoReply>(reply).headers['x-seen-names']).split(',');
    for (const name of [':method', ':path', ':authority', ':scheme', 'x-replace-me', 'x-remove-me', 'x-chain']) {
      assert.ok(names.includes(name), `${name} missing from pairs ${names.join(',')}`);
    }
    const firstRegular = names.findIndex((n) => !n.startsWith(':'));
    assert.ok(names.slice(firstRegular).every((n) => !n.startsWith(':')), `pseudo-headers not first: ${names.join(',')}`);
    // The plugin read the pairs after adding x-chain, so it saw one more than the host announced.
    assert.equal(Number(header(reply.headers, 'x-request-pairs')), Number(header(reply.headers, 'x-request-count-arg')) + 1);
    assert.equal(Number(header(reply.headers, 'x-request-pairs')), names.length);
  });

  test('replacing :path sends the request upstream on the new path, query kept', async () => {
    const reply = await httpRequest(port, { path: '/rewrite/abc?q=1' });
    assert.equal(reply.status, 200);
    assert.equal(json<EchoReply>(reply).url, '/rewritten/abc?q=1');
  });

  test('set_header_map_pairs replaces the whole request map', async () => {
    const reply = await httpRequest(port, { path: '/pairs', headers: { 'x-set-pairs': '1', 'x-drop-me': '1', 'x-keep': 'kept' } });
    assert.equal(reply.status, 200);
    const echo = json<EchoReply>(reply);
    assert.equal(echo.url, '/pairs');
    assert.equal(echo.method, 'GET');
    assert.equal(echo.headers['x-keep'], 'kept');
    assert.equal(echo.headers['x-drop-me'], undefined);
    assert.equal(echo.headers['x-added'], 'yes', 'edits made before the replacement are part of the new map');
    assert.match(String(echo.headers['x-pairs-set']), /^\d+$/);
  });

  test('response headers: add, replace, remove, and :status read and rewritten', async () => {
    const echo = await httpRequest(port, { path: '/echo' });
    assert.equal(echo.status, 200);
    assert.equal(header(echo.headers, 'x-status-seen'), '200');
    assert.equal(header(echo.headers, 'x-upstream'), 'replaced');
    assert.equal(echo.headers['content-type'], undefined);
    assert.match(String(header(echo.headers, 'x-response-pairs')), /^[1-9]\d*$/);
    assert.equal(header(echo.headers, 'x-chain'), 'main');

    const created = await httpRequest(port, { path: '/status/201' });
    assert.equal(created.status, 202, 'the plugin replaced :status 201 by 202');
    assert.equal(header(created.headers, 'x-status-seen'), '201');
  });

  test('a header value no HTTP codec can carry is refused (BadArgument) and the response still arrives', async () => {
    const reply = await httpRequest(port, { path: '/echo', headers: { 'x-emit-invalid': '1' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-invalid'], undefined);
    assert.equal(header(reply.headers, 'x-invalid-status'), '2');
  });

  test('a chain runs request callbacks in config order and response callbacks in reverse', async () => {
    const reply = await httpRequest(port, { path: '/chain' });
    assert.equal(reply.status, 200);
    assert.equal(json<EchoReply>(reply).headers['x-chain'], 'a,b');
    assert.equal(header(reply.headers, 'x-chain'), 'b,a');
  });

  test('over HTTP/2 the plugin sees the same pseudo-headers and its edits apply both ways', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const reply = await h2Request(session, { path: '/h2?z=9', headers: { 'x-replace-me': 'old', 'x-remove-me': 'gone' } });
      assert.equal(reply.status, 200);
      const echo = JSON.parse(reply.body.toString()) as EchoReply;
      assert.equal(echo.headers['x-pseudo'], `GET /h2?z=9 127.0.0.1:${port} http`);
      assert.equal(echo.headers['x-replace-me'], 'replaced');
      assert.equal(echo.headers['x-remove-me'], undefined);
      assert.equal(reply.headers['x-status-seen'], '200');
      assert.equal(reply.headers['x-upstream'], 'replaced');
    } finally {
      session.close();
    }
  });

  test('trailers: the plugin reads, adds and replaces request and response trailers', async () => {
    // A chunked request with a trailer; /trailers echoes what the upstream got and sends its own.
    const reply = await new Promise<{ body: string; trailers: NodeJS.Dict<string> }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port, method: 'POST', path: '/trailers', agent: false,
        headers: { 'transfer-encoding': 'chunked', trailer: 'x-client-trailer' },
      }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => { body += d; });
        res.on('end', () => resolve({ body, trailers: res.trailers }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.write('payload');
      req.addTrailers({ 'x-client-trailer': 'abc' });
      req.end();
    });
    const echo = JSON.parse(reply.body) as EchoReply;
    assert.equal(echo.body, 'payload');
    assert.equal(echo.trailers['x-client-trailer'], 'replaced:abc');
    assert.equal(echo.trailers['x-trailer-count'], '1', 'the count argument is the number of request trailers');
    assert.equal(reply.trailers['x-upstream-trailer'], 'replaced');
    assert.equal(reply.trailers['x-plugin-trailer'], 'yes');
  });
});
