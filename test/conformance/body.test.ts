// proxy-runtime body fixture through a real Remora: request and response bodies buffered until
// end of stream (StopIterationAndBuffer) and replaced whole with proxy_set_buffer_bytes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupList, startRemora } from '../support/remora.ts';
import { startH2cUpstream, startHttp1Upstream, type EchoReply } from '../support/upstreams.ts';
import { httpRequest } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { header, plugin } from './support.ts';

describe('proxy-runtime body plugin', () => {
  const cleanup = cleanupList();
  let port: number;

  before(async () => {
    const upstream = await startHttp1Upstream({ name: 'app' });
    cleanup.after(() => upstream.close());
    const h2 = await startH2cUpstream({ name: 'app-h2' });
    cleanup.after(() => h2.close());
    const remora = await startRemora(cleanup, proxyConfig({
      routes: [
        { name: 'body-h2', match: { pathPrefix: '/', headers: { 'x-upstream-protocol': 'h2' } }, cluster: 'app-h2', plugins: ['body'] },
        { name: 'body', match: { pathPrefix: '/' }, cluster: 'app', plugins: ['body'] },
      ],
      clusters: [
        { name: 'app', endpoints: [upstream.endpoint] },
        { name: 'app-h2', endpoints: [h2.endpoint], protocol: 'http2' },
      ],
      extra: { plugins: [plugin({ name: 'body', fixture: 'body', rootId: 'body' })] },
    }));
    port = remora.ports.main!;
  });
  after(() => cleanup.run());

  test('the request body is replaced before the upstream sees it, and the response body on its way back', async () => {
    // /pipe streams the request body back, so both rewrites show in one answer.
    const reply = await httpRequest(port, { method: 'POST', path: '/pipe', body: 'my secret' });
    assert.equal(reply.status, 200);
    assert.equal(header(reply.headers, 'x-body-plugin'), 'on');
    // One data call, maybe followed by an empty end-of-stream call (Envoy does both).
    assert.match(reply.body.toString(), /^req\[my \*\*\*\*\*\*\]\|len=14\|request-body-calls=[12]$/);
  });

  test('a body arriving in many chunks is buffered whole before the rewrite', async () => {
    const big = 'a'.repeat(256 * 1024) + 'secret';
    const reply = await httpRequest(port, { method: 'POST', path: '/pipe', body: big });
    assert.equal(reply.status, 200);
    const text = reply.body.toString();
    const match = /\|len=(\d+)\|request-body-calls=(\d+)$/.exec(text);
    assert.ok(match, `no suffix in ${text.slice(-80)}`);
    assert.ok(Number(match[2]) > 1, `expected several on_request_body calls, got ${match[2]}`);
    assert.equal(Number(match[1]), big.length + 5);
    assert.ok(text.slice(0, match.index) === `req[${'a'.repeat(256 * 1024)}******]`, 'rewritten body differs');
  });

  test('a request without a body keeps its framing and only the response is rewritten', async () => {
    const reply = await httpRequest(port, { path: '/echo' });
    assert.equal(reply.status, 200);
    const text = reply.body.toString();
    const match = /^(.*)\|len=(\d+)\|request-body-calls=0$/s.exec(text);
    assert.ok(match, `no length suffix in ${text}`);
    assert.equal(Number(match[2]), Buffer.byteLength(match[1]!));
    const echo = JSON.parse(match[1]!) as EchoReply;
    assert.equal(echo.method, 'GET');
    assert.equal(echo.bodyBytes, 0);
  });

  test('the masked response of an upstream body that mentions the secret', async () => {
    const reply = await httpRequest(port, { method: 'POST', path: '/echo', body: 'secret' });
    const text = reply.body.toString();
    assert.ok(!text.includes('secret'), `response still carries the secret: ${text}`);
    const echo = JSON.parse(text.replace(/\|len=\d+\|request-body-calls=[12]$/, '')) as EchoReply;
    assert.equal(echo.body, 'req[******]', 'the upstream got the rewritten request body');
    assert.equal(echo.bodyBytes, 'req[secret]'.length);
  });

  test('both rewrites hold when the upstream speaks HTTP/2', async () => {
    const reply = await httpRequest(port, { method: 'POST', path: '/pipe', body: 'h2 secret', headers: { 'x-upstream-protocol': 'h2' } });
    assert.equal(reply.status, 200);
    assert.match(reply.body.toString(), /^req\[h2 \*\*\*\*\*\*\]\|len=14\|request-body-calls=[12]$/);
  });

  test('a request body past the 1 MiB buffer limit is answered 413, as Envoy does', async () => {
    const reply = await httpRequest(port, { method: 'POST', path: '/hash', body: Buffer.alloc(1536 * 1024, 0x61) });
    assert.equal(reply.status, 413);
    assert.equal(header(reply.headers, 'remora-proxy-error'), 'request body too large');
  });

  test('a response body past the buffer limit never reaches the client whole, and the proxy keeps serving', async () => {
    const size = 1536 * 1024;
    // Envoy answers 500 while the response headers are still held, and resets the stream after.
    const outcome = await httpRequest(port, { path: `/bytes?n=${size}` }).then(
      (reply) => `${reply.status} ${reply.headers['remora-proxy-error'] ?? ''} ${reply.body.length < size}`,
      (err: Error) => `reset ${err.message}`,
    );
    assert.match(outcome, /^(500 response body too large true|reset .*(hang up|aborted|ECONNRESET).*)$/);
    const after = await httpRequest(port, { method: 'POST', path: '/pipe', body: 'x' });
    assert.equal(after.status, 200);
  });
});
