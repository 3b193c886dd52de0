// HTTP/2 prior knowledge (h2c) downstream through Remora to HTTP/1 and HTTP/2 clusters:
// concurrent streams, flow-controlled large bodies, trailers both ways; gRPC unary, server
// streaming and a failing call whose grpc-status and custom trailers must arrive intact.
// One Remora for the file: header `x-to: h2` picks the http2 cluster, gRPC paths the gRPC
// cluster, everything else goes to the http1 cluster.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2, { type ClientHttp2Session } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { cleanupList, startRemora } from '../support/remora.ts';
import { eventually, h2Request, httpRequest, json } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { echoClient, FAIL_BINARY_TRAILER, FAIL_MESSAGE, FAIL_TRAILER, startGrpcUpstream, type EchoClient, type EchoReply as GrpcReply, type GrpcUpstream } from '../support/grpc.ts';
import { dripUntilClosed, patternBytes, sha256, startH2cUpstream, startHttp1Upstream, type EchoReply, type HttpUpstream } from '../support/upstreams.ts';

const TIMEOUT = { timeout: 20_000 };

describe('h2c and gRPC through Remora', () => {
  const cleanup = cleanupList();
  let h1: HttpUpstream;
  let h2: HttpUpstream;
  let grpcUpstream: GrpcUpstream;
  let port = 0;
  let client: EchoClient;

  before(async () => {
    h1 = await startHttp1Upstream({ name: 'h1' });
    h2 = await startH2cUpstream({ name: 'h2' });
    grpcUpstream = await startGrpcUpstream();
    cleanup.after(() => h1.close());
    cleanup.after(() => h2.close());
    cleanup.after(() => grpcUpstream.close());
    const remora = await startRemora(cleanup, proxyConfig({
      routes: [
        { name: 'grpc', match: { pathPrefix: '/remora.test.Echo/' }, cluster: 'grpc' },
        { name: 'h2-slow', match: { path: '/h2-never' }, cluster: 'h1', timeout: '300ms' },
        { name: 'by-authority', match: { pathPrefix: '/authority', host: 'h2.example' }, cluster: 'h2' },
        { name: 'to-h2', match: { pathPrefix: '/', headers: { 'x-to': 'h2' } }, cluster: 'h2' },
        { name: 'to-auto-h1', match: { pathPrefix: '/', headers: { 'x-to': 'auto-h1' } }, cluster: 'auto-h1' },
        { name: 'to-auto-h2', match: { pathPrefix: '/', headers: { 'x-to': 'auto-h2' } }, cluster: 'auto-h2' },
        { name: 'to-h1', match: { pathPrefix: '/' }, cluster: 'h1' },
      ],
      clusters: [
        { name: 'h1', endpoints: [h1.endpoint], protocol: 'http1' },
        { name: 'h2', endpoints: [h2.endpoint], protocol: 'http2' },
        { name: 'grpc', endpoints: [grpcUpstream.endpoint], protocol: 'http2' },
        { name: 'auto-h1', endpoints: [h1.endpoint], protocol: 'auto' },
        { name: 'auto-h2', endpoints: [h2.endpoint], protocol: 'auto' },
      ],
    }));
    port = remora.ports.main!;
    client = echoClient(`127.0.0.1:${port}`);
    cleanup.after(() => client.close());
  });
  after(() => cleanup.run());

  function connect(t: { after(fn: () => unknown): unknown }): ClientHttp2Session {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    t.after(() => session.destroy());
    return session;
  }

  /** Headers that send a request to the given cluster. */
  const to = (protocol: 'http1' | 'http2'): Record<string, string> => (protocol === 'http2' ? { 'x-to': 'h2' } : {});

  test('h2c downstream to an http1 cluster: GET and POST reach the upstream over HTTP/1.1', TIMEOUT, async (t) => {
    const session = connect(t);
    const mark = h1.requests.length;
    const get = await h2Request(session, { path: '/h2-to-h1?x=1' });
    assert.equal(get.status, 200);
    const getEcho = json<EchoReply>(get);
    assert.equal(getEcho.url, '/h2-to-h1?x=1');
    assert.equal(getEcho.httpVersion, '1.1');
    assert.equal(getEcho.upstream.split(':')[0], 'h1');
    const post = await h2Request(session, { method: 'POST', path: '/h2-to-h1', body: 'h2 body', headers: { 'content-type': 'text/plain' } });
    assert.equal(post.status, 200);
    assert.equal(json<EchoReply>(post).body, 'h2 body');
    assert.equal(h1.requests.length - mark, 2);
    // The HTTP/1 upstream learns the authority from Host.
    assert.equal(getEcho.headers.host, `127.0.0.1:${port}`);
  });

  test('h2 split cookie fields reach an http1 upstream as one "; "-joined cookie; set-cookie lines stay separate', TIMEOUT, async (t) => {
    h1.handle('/cookies', (req, res) => {
      req.resume();
      res.setHeader('set-cookie', ['x=1', 'y=2']);
      res.end(JSON.stringify({ cookie: req.headers.cookie }));
    });
    const session = connect(t);
    // node sends each array element as its own cookie field (RFC 9113 §8.2.3 allows the split).
    const reply = await h2Request(session, { path: '/cookies', headers: { cookie: ['a=1', 'b=2'] as unknown as string } });
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body.toString()).cookie, 'a=1; b=2');
    assert.deepEqual(reply.headers['set-cookie'], ['x=1', 'y=2']);
  });

  test('h2 :authority is used for host matching', TIMEOUT, async (t) => {
    const session = connect(t);
    const reply = await h2Request(session, { path: '/authority', headers: { ':authority': 'h2.example:8443' } });
    assert.equal(reply.status, 200);
    assert.equal(json<EchoReply>(reply).upstream.split(':')[0], 'h2');
  });

  test('HTTP/1.1 client to an http2 cluster: body, authority and response trailers cross the protocol change', TIMEOUT, async () => {
    const reply = await new Promise<{ status: number; echo: EchoReply; trailers: NodeJS.Dict<string> }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/trailers', agent: false, headers: { 'x-to': 'h2', host: 'svc.local:1234' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, echo: JSON.parse(text), trailers: res.trailers }));
      });
      req.on('error', reject);
      req.write('h1 body, ');
      req.end('to h2');
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.echo.httpVersion, '2.0');
    assert.equal(reply.echo.body, 'h1 body, to h2');
    assert.equal(reply.echo.headers[':authority'], 'svc.local:1234');
    assert.equal(reply.trailers['x-upstream-trailer'], 'yes');
  });

  test('protocol auto: HTTP/1 in stays HTTP/1 upstream, HTTP/2 in goes HTTP/2 upstream', TIMEOUT, async (t) => {
    const viaH1 = await httpRequest(port, { path: '/auto', headers: { 'x-to': 'auto-h1' } });
    assert.equal(viaH1.status, 200);
    assert.equal(json<EchoReply>(viaH1).httpVersion, '1.1');
    const session = connect(t);
    const viaH2 = await h2Request(session, { path: '/auto', headers: { 'x-to': 'auto-h2' } });
    assert.equal(viaH2.status, 200);
    assert.equal(json<EchoReply>(viaH2).httpVersion, '2.0');
  });

  test('h2c downstream to an http2 cluster: requests reach the upstream over HTTP/2', TIMEOUT, async (t) => {
    const session = connect(t);
    const mark = h2.requests.length;
    const reply = await h2Request(session, { method: 'POST', path: '/h2-to-h2', body: 'over h2', headers: to('http2') });
    assert.equal(reply.status, 200);
    const echo = json<EchoReply>(reply);
    assert.equal(echo.httpVersion, '2.0');
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, '/h2-to-h2');
    assert.equal(echo.body, 'over h2');
    assert.equal(h2.requests.length - mark, 1);
  });

  for (const protocol of ['http1', 'http2'] as const) {
    test(`100 concurrent streams on one h2c connection each get their own answer (${protocol} cluster)`, TIMEOUT, async (t) => {
      const session = connect(t);
      const replies = await Promise.all(Array.from({ length: 100 }, (_, i) =>
        h2Request(session, { method: 'POST', path: `/concurrent/${i}`, body: `body-${i}`, headers: to(protocol) })));
      replies.forEach((reply, i) => {
        assert.equal(reply.status, 200);
        const echo = json<EchoReply>(reply);
        assert.equal(echo.url, `/concurrent/${i}`);
        assert.equal(echo.body, `body-${i}`);
        assert.equal(echo.httpVersion, protocol === 'http2' ? '2.0' : '1.1');
      });
    });
  }

  for (const protocol of ['http1', 'http2'] as const) {
    test(`HEAD, 204 and 304 over h2 carry no body and keep HEAD's content-length (${protocol} cluster)`, TIMEOUT, async (t) => {
      const session = connect(t);
      const head = await h2Request(session, { method: 'HEAD', path: '/bytes?n=5000', headers: to(protocol) });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(head.headers['content-length'], '5000');
      for (const status of [204, 304]) {
        const reply = await h2Request(session, { path: `/status/${status}`, headers: to(protocol) });
        assert.equal(reply.status, status);
        assert.equal(reply.body.length, 0);
      }
      assert.equal((await h2Request(session, { path: '/after-bodiless', headers: to(protocol) })).status, 200);
    });
  }

  test('large bodies both ways over h2 with flow control (8 MB up, 8 MB down, http2 cluster)', TIMEOUT, async (t) => {
    const session = connect(t);
    const n = 8 * 1024 * 1024;
    const up = patternBytes(n, 11);
    const [hashed, down] = await Promise.all([
      h2Request(session, { method: 'POST', path: '/hash', body: up, headers: to('http2') }),
      h2Request(session, { path: `/bytes?n=${n}&seed=12`, headers: to('http2') }),
    ]);
    assert.deepEqual(json(hashed), { bytes: n, sha256: sha256(up) });
    assert.equal(down.body.length, n);
    assert.equal(sha256(down.body), sha256(patternBytes(n, 12)));
  });

  test('large bodies both ways over h2 to an http1 cluster (8 MB up, 8 MB down)', TIMEOUT, async (t) => {
    const session = connect(t);
    const n = 8 * 1024 * 1024;
    const up = patternBytes(n, 13);
    const [hashed, down] = await Promise.all([
      h2Request(session, { method: 'POST', path: '/hash', body: up }),
      h2Request(session, { path: `/bytes?n=${n}&seed=14` }),
    ]);
    assert.deepEqual(json(hashed), { bytes: n, sha256: sha256(up) });
    assert.equal(sha256(down.body), sha256(patternBytes(n, 14)));
  });

  test('h2 request trailers reach an http2 upstream and response trailers come back', TIMEOUT, async (t) => {
    const session = connect(t);
    const reply = await h2Request(session, { method: 'POST', path: '/trailers', body: 'with trailers', trailers: { 'x-client-trailer': 'from-h2-client' }, headers: to('http2') });
    assert.equal(reply.status, 200);
    const echo = json<EchoReply>(reply);
    assert.equal(echo.httpVersion, '2.0');
    assert.equal(echo.body, 'with trailers');
    assert.equal(echo.trailers['x-client-trailer'], 'from-h2-client');
    assert.equal(reply.trailers['x-upstream-trailer'], 'yes');
  });

  test('declared h2 request trailers reach an http1 upstream as chunked trailers', TIMEOUT, async (t) => {
    const session = connect(t);
    // Declared with a Trailer field, as RFC 9110 §6.6.2 asks senders to: an HTTP/1 upstream needs
    // to know before the body starts (Remora picks a trailer-capable client for it).
    const reply = await h2Request(session, { method: 'POST', path: '/trailers', body: 'to h1 with trailers', headers: { trailer: 'x-client-trailer' }, trailers: { 'x-client-trailer': 'from-h2-to-h1' } });
    assert.equal(reply.status, 200);
    const echo = json<EchoReply>(reply);
    assert.equal(echo.httpVersion, '1.1');
    assert.equal(echo.body, 'to h1 with trailers');
    assert.equal(echo.trailers['x-client-trailer'], 'from-h2-to-h1');
  });

  test('h2 response trailers from an http1 upstream reach the h2 client', TIMEOUT, async (t) => {
    const session = connect(t);
    const reply = await h2Request(session, { method: 'POST', path: '/trailers', body: 'x' });
    assert.equal(reply.status, 200);
    assert.equal(json<EchoReply>(reply).httpVersion, '1.1');
    assert.equal(reply.trailers['x-upstream-trailer'], 'yes');
  });

  for (const protocol of ['http1', 'http2'] as const) {
    test(`upstream reset mid-response reaches the h2 client as a stream error, the session lives on (${protocol} cluster)`, TIMEOUT, async (t) => {
      const session = connect(t);
      const outcome = await h2Request(session, { path: '/reset', headers: to(protocol) }).then(
        (reply) => ({ status: reply.status, bytes: reply.body.length, error: undefined as unknown }),
        (error: unknown) => ({ status: 0, bytes: 0, error }),
      );
      // A reset stream, or a 5xx if the proxy had not answered yet; a clean 200 with a short body is the bug.
      if (outcome.error === undefined) assert.ok(outcome.status >= 500, `got a complete ${outcome.status} with ${outcome.bytes} bytes`);
      const next = await h2Request(session, { path: '/after-reset', headers: to(protocol) });
      assert.equal(next.status, 200);
      assert.equal(json<EchoReply>(next).url, '/after-reset');
    });
  }

  test('an http2 upstream that closes its session (GOAWAY) is re-dialed for the next request', TIMEOUT, async (t) => {
    const session = connect(t);
    assert.equal((await h2Request(session, { path: '/before-goaway', headers: to('http2') })).status, 200);
    const connections = h2.connections();
    h2.closeIdle();
    // Once the upstream's socket is gone, Remora has seen the GOAWAY and the close.
    await eventually(async () => assert.equal(h2.openConnections(), 0));
    const reply = await h2Request(session, { path: '/after-goaway', headers: to('http2') });
    assert.equal(reply.status, 200);
    assert.equal(json<EchoReply>(reply).url, '/after-goaway');
    assert.ok(h2.connections() > connections, 'a new upstream connection was opened');
  });

  test('an h2 client cancelling a stream mid-body aborts the upstream request', TIMEOUT, async (t) => {
    const outcomes: { complete: boolean }[] = [];
    let receiving!: () => void;
    const started = new Promise<void>((resolve) => { receiving = resolve; });
    h1.handle('/h2-cancel', (req, res) => {
      req.on('data', () => receiving());
      req.on('close', () => outcomes.push({ complete: req.complete }));
      req.on('end', () => res.end('done?'));
    });
    const session = connect(t);
    const stream = session.request({ ':method': 'POST', ':path': '/h2-cancel', 'content-length': '1000000' });
    stream.on('error', () => {});
    stream.write(Buffer.alloc(8192, 0x62));
    await started;
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await eventually(async () => assert.equal(outcomes.length, 1, 'the upstream request is closed'));
    assert.equal(outcomes[0]!.complete, false);
    assert.equal((await h2Request(session, { path: '/after-cancel' })).status, 200);
  });

  test('h2 request whose DATA exceeds its content-length never reaches an http1 upstream with the extra bytes', TIMEOUT, async (t) => {
    const seen: { complete: boolean; body: string }[] = [];
    h1.handle('/cl-mismatch', (req, res) => {
      let body = '';
      req.setEncoding('latin1');
      req.on('data', (c: string) => { body += c; });
      req.on('close', () => seen.push({ complete: req.complete, body }));
      req.on('end', () => res.end('took it'));
    });
    const session = connect(t);
    const outcome = await h2Request(session, {
      method: 'POST', path: '/cl-mismatch', headers: { 'content-length': '5' },
      body: 'helloGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    }).then((reply) => ({ status: reply.status, body: reply.body.toString() }), () => ({ status: 0, body: '' }));
    assert.notEqual(outcome.body, 'took it', `a body longer than its content-length must be refused (status ${outcome.status})`);
    assert.equal(h1.requests.some((r) => r.url === '/smuggled'), false);
    for (const request of seen) assert.doesNotMatch(request.body, /smuggled/);
    const next = await h2Request(connect(t), { path: '/after-cl-mismatch' });
    assert.equal(next.status, 200);
  });

  test('route timeout over h2 answers 504 with remora-proxy-error on that stream only', TIMEOUT, async (t) => {
    h1.handle('/h2-never', (req) => { req.resume(); });
    const session = connect(t);
    const [slow, fast] = await Promise.all([
      h2Request(session, { path: '/h2-never' }),
      h2Request(session, { path: '/h2-fast' }),
    ]);
    assert.equal(slow.status, 504);
    assert.ok(slow.headers['remora-proxy-error'], 'remora-proxy-error header expected');
    assert.equal(fast.status, 200);
  });

  for (const protocol of ['http1', 'http2'] as const) {
    test(`an h2 client cancelling mid-response stops the upstream response (${protocol} cluster)`, TIMEOUT, async (t) => {
      const ended = dripUntilClosed(protocol === 'http2' ? h2 : h1, '/drip', t);
      const session = connect(t);
      const stream = session.request({ ':path': '/drip', ...to(protocol) });
      stream.on('error', () => {});
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      // A response that never ends can only be closed by Remora passing the cancel on.
      await eventually(async () => assert.deepEqual(ended, ['/drip'], 'the upstream response is closed'));
      assert.equal((await h2Request(session, { path: '/after-drip', headers: to(protocol) })).status, 200);
    });
  }

  test('gRPC unary call through Remora', TIMEOUT, async () => {
    const mark = grpcUpstream.calls.length;
    const metadata = new grpc.Metadata();
    metadata.set('x-caller', 'integration-test');
    const reply = await new Promise<GrpcReply>((resolve, reject) =>
      client.Unary({ text: 'ping' }, metadata, (err, res) => (err ? reject(err) : resolve(res!))));
    assert.equal(reply.text, 'ping');
    assert.equal(grpcUpstream.calls.length - mark, 1);
    assert.equal(grpcUpstream.calls.at(-1)!.metadata['x-caller'], 'integration-test');
  });

  test('gRPC server streaming through Remora delivers every message in order', TIMEOUT, async () => {
    const stream = client.ServerStream({ text: 'msg', count: 200 });
    const seen: GrpcReply[] = [];
    const status = await new Promise<grpc.StatusObject>((resolve, reject) => {
      stream.on('data', (m: GrpcReply) => seen.push(m));
      stream.on('status', resolve);
      stream.on('error', reject);
    });
    assert.equal(status.code, grpc.status.OK);
    assert.equal(seen.length, 200);
    seen.forEach((m, i) => { assert.equal(m.index, i); assert.equal(m.text, `msg-${i}`); });
  });

  test('gRPC client cancelling a server stream cancels the call on the server', TIMEOUT, async () => {
    const before = grpcUpstream.cancelled();
    const stream = client.ServerStream({ text: 'slow', count: 100_000, delay_ms: 20 });
    stream.on('error', () => {});
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.cancel();
    await eventually(async () => assert.equal(grpcUpstream.cancelled(), before + 1, 'the server sees the cancel'));
  });

  test('gRPC failing call: grpc-status, message and custom trailing metadata arrive intact', TIMEOUT, async () => {
    const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
      client.Fail({ text: 'nope' }, (e, res) => (e ? resolve(e) : reject(new Error(`expected failure, got ${JSON.stringify(res)}`)))));
    assert.equal(err.code, grpc.status.PERMISSION_DENIED);
    assert.equal(err.details, FAIL_MESSAGE);
    assert.deepEqual(err.metadata.get(FAIL_TRAILER.key), [FAIL_TRAILER.value]);
    const binary = err.metadata.get(FAIL_BINARY_TRAILER.key);
    assert.equal(binary.length, 1);
    assert.deepEqual([...(binary[0] as Buffer)], [...FAIL_BINARY_TRAILER.value]);
  });
});
