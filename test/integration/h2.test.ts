// HTTP/2 prior knowledge (h2c) downstream through Remora to HTTP/1 and HTTP/2 clusters:
// concurrent streams, flow-controlled large bodies, trailers both ways; gRPC unary, server
// streaming and a failing call whose grpc-status and custom trailers must arrive intact.
import assert from 'node:assert/strict';
import http2, { type ClientHttp2Session } from 'node:http2';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { startRemora, type CleanupScope } from '../support/remora.ts';
import { h2Request, json } from '../support/clients.ts';
import { proxyConfig, singleClusterConfig } from '../support/config.ts';
import { echoClient, FAIL_BINARY_TRAILER, FAIL_MESSAGE, FAIL_TRAILER, startGrpcUpstream, type EchoReply as GrpcReply } from '../support/grpc.ts';
import { patternBytes, sha256, startH2cUpstream, startHttp1Upstream, type EchoReply } from '../support/upstreams.ts';

const TIMEOUT = { timeout: 20_000 };

function connect(t: CleanupScope, port: number): ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  t.after(() => session.destroy());
  return session;
}

async function proxyTo(t: CleanupScope, protocol: 'http1' | 'http2') {
  const upstream = protocol === 'http2' ? await startH2cUpstream() : await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint, { protocol }));
  return { upstream, remora, session: connect(t, remora.ports.main!) };
}

test('h2c downstream to an http1 cluster: GET and POST reach the upstream over HTTP/1.1', TIMEOUT, async (t) => {
  const { session, upstream } = await proxyTo(t, 'http1');
  const get = await h2Request(session, { path: '/h2-to-h1?x=1' });
  assert.equal(get.status, 200);
  const getEcho = json<EchoReply>(get);
  assert.equal(getEcho.url, '/h2-to-h1?x=1');
  assert.equal(getEcho.httpVersion, '1.1');
  const post = await h2Request(session, { method: 'POST', path: '/h2-to-h1', body: 'h2 body', headers: { 'content-type': 'text/plain' } });
  assert.equal(post.status, 200);
  assert.equal(json<EchoReply>(post).body, 'h2 body');
  assert.equal(upstream.requests.length, 2);
});

test('h2c downstream to an http2 cluster: requests reach the upstream over HTTP/2', TIMEOUT, async (t) => {
  const { session, upstream } = await proxyTo(t, 'http2');
  const reply = await h2Request(session, { method: 'POST', path: '/h2-to-h2', body: 'over h2' });
  assert.equal(reply.status, 200);
  const echo = json<EchoReply>(reply);
  assert.equal(echo.httpVersion, '2.0');
  assert.equal(echo.method, 'POST');
  assert.equal(echo.url, '/h2-to-h2');
  assert.equal(echo.body, 'over h2');
  assert.equal(upstream.requests.length, 1);
});

for (const protocol of ['http1', 'http2'] as const) {
  test(`100 concurrent streams on one h2c connection each get their own answer (${protocol} cluster)`, TIMEOUT, async (t) => {
    const { session } = await proxyTo(t, protocol);
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) =>
      h2Request(session, { method: 'POST', path: `/concurrent/${i}`, body: `body-${i}` })));
    replies.forEach((reply, i) => {
      assert.equal(reply.status, 200);
      const echo = json<EchoReply>(reply);
      assert.equal(echo.url, `/concurrent/${i}`);
      assert.equal(echo.body, `body-${i}`);
    });
  });
}

test('large bodies both ways over h2 with flow control (8 MB up, 8 MB down, http2 cluster)', TIMEOUT, async (t) => {
  const { session } = await proxyTo(t, 'http2');
  const n = 8 * 1024 * 1024;
  const up = patternBytes(n, 11);
  const [hashed, down] = await Promise.all([
    h2Request(session, { method: 'POST', path: '/hash', body: up }),
    h2Request(session, { path: `/bytes?n=${n}&seed=12` }),
  ]);
  assert.deepEqual(json(hashed), { bytes: n, sha256: sha256(up) });
  assert.equal(down.body.length, n);
  assert.equal(sha256(down.body), sha256(patternBytes(n, 12)));
});

test('large request body over h2 to an http1 cluster arrives intact (8 MB)', TIMEOUT, async (t) => {
  const { session } = await proxyTo(t, 'http1');
  const up = patternBytes(8 * 1024 * 1024, 13);
  const hashed = await h2Request(session, { method: 'POST', path: '/hash', body: up });
  assert.deepEqual(json(hashed), { bytes: up.length, sha256: sha256(up) });
});

test('h2 request trailers reach an http2 upstream and response trailers come back', TIMEOUT, async (t) => {
  const { session } = await proxyTo(t, 'http2');
  const reply = await h2Request(session, { method: 'POST', path: '/trailers', body: 'with trailers', trailers: { 'x-client-trailer': 'from-h2-client' } });
  assert.equal(reply.status, 200);
  const echo = json<EchoReply>(reply);
  assert.equal(echo.body, 'with trailers');
  assert.equal(echo.trailers['x-client-trailer'], 'from-h2-client');
  assert.equal(reply.trailers['x-upstream-trailer'], 'yes');
});

test('h2 response trailers from an http1 upstream reach the h2 client', TIMEOUT, async (t) => {
  const { session } = await proxyTo(t, 'http1');
  const reply = await h2Request(session, { method: 'POST', path: '/trailers', body: 'x' });
  assert.equal(reply.status, 200);
  assert.equal(reply.trailers['x-upstream-trailer'], 'yes');
});

async function grpcThroughRemora(t: CleanupScope) {
  const upstream = await startGrpcUpstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [{ name: 'grpc', match: { pathPrefix: '/remora.test.Echo/' }, cluster: 'grpc' }],
    clusters: [{ name: 'grpc', endpoints: [upstream.endpoint], protocol: 'http2' }],
  }));
  const client = echoClient(`127.0.0.1:${remora.ports.main}`);
  t.after(() => client.close());
  return { upstream, client };
}

test('gRPC unary call through Remora', TIMEOUT, async (t) => {
  const { client, upstream } = await grpcThroughRemora(t);
  const metadata = new grpc.Metadata();
  metadata.set('x-caller', 'integration-test');
  const reply = await new Promise<GrpcReply>((resolve, reject) =>
    client.Unary({ text: 'ping' }, metadata, (err, res) => (err ? reject(err) : resolve(res!))));
  assert.equal(reply.text, 'ping');
  assert.equal(upstream.calls.length, 1);
  assert.equal(upstream.calls[0]!.metadata['x-caller'], 'integration-test');
});

test('gRPC server streaming through Remora delivers every message in order', TIMEOUT, async (t) => {
  const { client } = await grpcThroughRemora(t);
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

test('gRPC failing call: grpc-status, message and custom trailing metadata arrive intact', TIMEOUT, async (t) => {
  const { client } = await grpcThroughRemora(t);
  const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
    client.Fail({ text: 'nope' }, (e, res) => (e ? resolve(e) : reject(new Error(`expected failure, got ${JSON.stringify(res)}`)))));
  assert.equal(err.code, grpc.status.PERMISSION_DENIED);
  assert.equal(err.details, FAIL_MESSAGE);
  assert.deepEqual(err.metadata.get(FAIL_TRAILER.key), [FAIL_TRAILER.value]);
  const binary = err.metadata.get(FAIL_BINARY_TRAILER.key);
  assert.equal(binary.length, 1);
  assert.deepEqual([...(binary[0] as Buffer)], [...FAIL_BINARY_TRAILER.value]);
});
