// Header handling at the proxy: hop-by-hop headers stripped both ways (including names listed
// in Connection), x-forwarded-for / x-forwarded-proto / x-request-id / via added.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanupList, startRemora } from '../support/remora.ts';
import { httpRequest, json } from '../support/clients.ts';
import { singleClusterConfig } from '../support/config.ts';
import { startHttp1Upstream, type EchoReply, type HttpUpstream } from '../support/upstreams.ts';

const TIMEOUT = { timeout: 15_000 };

// One Remora and upstream for the file: these tests only read headers.
describe('headers', () => {
  const cleanup = cleanupList();
  let upstream: HttpUpstream;
  let port = 0;
  before(async () => {
    upstream = await startHttp1Upstream();
    cleanup.after(() => upstream.close());
    const remora = await startRemora(cleanup, singleClusterConfig(upstream.endpoint));
    port = remora.ports.main!;
  });
  after(() => cleanup.run());

  test('hop-by-hop request headers, and those named in Connection, do not reach the upstream', TIMEOUT, async () => {
    const reply = await httpRequest(port, {
      path: '/hop',
      headers: {
        connection: 'keep-alive, x-hop-one, X-Hop-Two',
        'keep-alive': 'timeout=5',
        'x-hop-one': 'a',
        'x-hop-two': 'b',
        'x-end-to-end': 'kept',
      },
    });
    assert.equal(reply.status, 200);
    const seen = json<EchoReply>(reply).headers;
    assert.equal(seen['x-end-to-end'], 'kept');
    assert.equal(seen['x-hop-one'], undefined);
    assert.equal(seen['x-hop-two'], undefined);
    assert.equal(seen['keep-alive'], undefined);
    // The upstream connection's own Connection header is the proxy's business, but never ours.
    assert.doesNotMatch(String(seen.connection ?? ''), /x-hop/i);
  });

  test('hop-by-hop response headers, and those named in Connection, do not reach the client', TIMEOUT, async () => {
    upstream.handle('/resp-hop', (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, {
          connection: 'x-resp-hop',
          'x-resp-hop': 'secret',
          'keep-alive': 'timeout=1234',
          'x-resp-kept': 'yes',
          'content-length': '2',
        });
        res.end('ok');
      });
    });
    const reply = await httpRequest(port, { path: '/resp-hop' });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'ok');
    assert.equal(reply.headers['x-resp-kept'], 'yes');
    assert.equal(reply.headers['x-resp-hop'], undefined);
    assert.doesNotMatch(String(reply.headers['keep-alive'] ?? ''), /1234/);
  });

  test('x-forwarded-for is added with the client address and appended to an existing value', TIMEOUT, async () => {
    const fresh = json<EchoReply>(await httpRequest(port, { path: '/xff' })).headers;
    assert.equal(fresh['x-forwarded-for'], '127.0.0.1');
    const chained = json<EchoReply>(await httpRequest(port, { path: '/xff', headers: { 'x-forwarded-for': '10.1.2.3' } })).headers;
    assert.match(String(chained['x-forwarded-for']), /^10\.1\.2\.3,\s*127\.0\.0\.1$/);
  });

  test('x-forwarded-proto is http on a plaintext listener', TIMEOUT, async () => {
    const seen = json<EchoReply>(await httpRequest(port, { path: '/xfp' })).headers;
    assert.equal(seen['x-forwarded-proto'], 'http');
  });

  test('x-request-id is generated when absent (unique per request) and kept when present', TIMEOUT, async () => {
    const first = json<EchoReply>(await httpRequest(port, { path: '/rid' })).headers['x-request-id'];
    const second = json<EchoReply>(await httpRequest(port, { path: '/rid' })).headers['x-request-id'];
    assert.equal(typeof first, 'string');
    assert.ok(String(first).length >= 8, `generated id too short: ${first}`);
    assert.notEqual(first, second);
    const kept = json<EchoReply>(await httpRequest(port, { path: '/rid', headers: { 'x-request-id': 'client-chosen-42' } })).headers['x-request-id'];
    assert.equal(kept, 'client-chosen-42');
  });

  test('via names the protocol version and is appended to an existing via', TIMEOUT, async () => {
    const via = json<EchoReply>(await httpRequest(port, { path: '/via' })).headers.via;
    assert.match(String(via), /^1\.1 \S+/);
    const chained = json<EchoReply>(await httpRequest(port, { path: '/via', headers: { via: '1.0 fred' } })).headers.via;
    assert.match(String(chained), /^1\.0 fred,\s*1\.1 \S+/);
  });

  test('repeated headers keep every value: several set-cookie lines and repeated request headers', TIMEOUT, async () => {
    upstream.handle('/cookies', (req, res) => {
      req.resume();
      req.on('end', () => {
        const seen = req.headersDistinct['x-multi'] ?? [];
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(seen));
      });
    });
    const reply = await httpRequest(port, { path: '/cookies', headers: { 'x-multi': ['one', 'two'] } });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    // Repeated request headers may arrive as separate lines or joined with ", " (same meaning).
    assert.deepEqual(JSON.parse(reply.body.toString()).join(', '), 'one, two');
  });

  test('percent-encoded path and query reach the upstream unchanged', TIMEOUT, async () => {
    const path = '/a%20b/%C3%A9t%C3%A9?q=%2F%3F&r=1&empty=';
    const reply = await httpRequest(port, { path });
    assert.equal(json<EchoReply>(reply).url, path);
  });
});
