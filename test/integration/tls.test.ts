// TLS termination on a listener with a configured certificate: ALPN http/1.1 and h2 both
// reach the plaintext upstream, which sees x-forwarded-proto https.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import tls from 'node:tls';
import { test } from 'node:test';
import { startRemora } from '../support/remora.ts';
import { h2Request, httpRequest, json, rawExchange } from '../support/clients.ts';
import * as grpc from '@grpc/grpc-js';
import { proxyConfig } from '../support/config.ts';
import { echoClient, FAIL_TRAILER, startGrpcUpstream } from '../support/grpc.ts';
import { makeSelfSignedCert } from '../support/tls.ts';
import { startHttp1Upstream, type EchoReply } from '../support/upstreams.ts';

const TIMEOUT = { timeout: 20_000 };

test('TLS listener: HTTPS with ALPN http/1.1 and with h2 both reach the upstream', TIMEOUT, async (t) => {
  const cert = makeSelfSignedCert(t);
  const upstream = await startHttp1Upstream();
  const grpcUpstream = await startGrpcUpstream();
  t.after(() => upstream.close());
  t.after(() => grpcUpstream.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [
      { name: 'grpc', match: { pathPrefix: '/remora.test.Echo/' }, cluster: 'grpc' },
      { name: 'default', match: { pathPrefix: '/' }, cluster: 'app' },
    ],
    clusters: [{ name: 'app', endpoints: [upstream.endpoint] }, { name: 'grpc', endpoints: [grpcUpstream.endpoint], protocol: 'http2' }],
    listener: { tls: { cert: cert.certFile, key: cert.keyFile } },
  }));
  const port = remora.ports.main!;

  await t.test('ALPN http/1.1', async () => {
    const result = await new Promise<{ alpn: string | false; status: number; echo: EchoReply }>((resolve, reject) => {
      // ALPNProtocols reaches tls.connect through the agent options (not in RequestOptions' type).
      const options = {
        host: '127.0.0.1', port, path: '/over-tls-h1', servername: 'localhost', ca: cert.cert,
        ALPNProtocols: ['http/1.1'], agent: false,
      } as https.RequestOptions;
      const req = https.request(options, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve({ alpn: (res.socket as tls.TLSSocket).alpnProtocol ?? false, status: res.statusCode ?? 0, echo: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(result.alpn, 'http/1.1');
    assert.equal(result.status, 200);
    assert.equal(result.echo.url, '/over-tls-h1');
    assert.equal(result.echo.headers['x-forwarded-proto'], 'https');
  });

  await t.test('ALPN h2', async () => {
    const session = http2.connect(`https://localhost:${port}`, { ca: cert.cert, host: '127.0.0.1', servername: 'localhost' });
    session.on('error', () => {});
    try {
      await new Promise<void>((resolve, reject) => { session.once('connect', () => resolve()); session.once('error', reject); });
      assert.equal(session.alpnProtocol, 'h2');
      const reply = await h2Request(session, { method: 'POST', path: '/over-tls-h2', body: 'secret' });
      assert.equal(reply.status, 200);
      const echo = json<EchoReply>(reply);
      assert.equal(echo.url, '/over-tls-h2');
      assert.equal(echo.body, 'secret');
      assert.equal(echo.headers['x-forwarded-proto'], 'https');
    } finally {
      session.destroy();
    }
  });

  await t.test('a TLS client offering no ALPN at all is served HTTP/1.1', async () => {
    const data = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: cert.cert }, () => {
        socket.write('GET /no-alpn HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      });
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => { text += d; });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(data, /^HTTP\/1\.1 200 /);
    assert.match(data, /"url":"\/no-alpn"/);
  });

  await t.test('plaintext HTTP on the same listener still works (detected, not TLS)', async () => {
    const reply = await httpRequest(port, { path: '/plain-on-tls-listener' });
    assert.equal(reply.status, 200);
    assert.equal(json<EchoReply>(reply).headers['x-forwarded-proto'], 'http');
  });

  await t.test('a broken TLS handshake closes that connection and the listener keeps serving', async () => {
    // A TLS record header announcing a ClientHello, followed by junk.
    const junk = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c]), Buffer.alloc(60, 0xee)]);
    const result = await rawExchange(port, junk, 5000);
    assert.equal(result.closed, true);
    const reply = await httpRequest(port, { path: '/after-bad-tls' });
    assert.equal(reply.status, 200);
  });

  await t.test('gRPC over TLS: a failing call keeps grpc-status and trailing metadata', async () => {
    const client = echoClient(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(cert.cert)), { 'grpc.ssl_target_name_override': 'localhost' });
    try {
      const ok = await new Promise<string>((resolve, reject) => client.Unary({ text: 'tls-ping' }, (err, res) => (err ? reject(err) : resolve(res!.text))));
      assert.equal(ok, 'tls-ping');
      const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
        client.Fail({ text: 'x' }, (e) => (e ? resolve(e) : reject(new Error('expected failure')))));
      assert.equal(err.code, grpc.status.PERMISSION_DENIED);
      assert.deepEqual(err.metadata.get(FAIL_TRAILER.key), [FAIL_TRAILER.value]);
    } finally {
      client.close();
    }
  });

  assert.equal(upstream.requests.length, 5);
});
