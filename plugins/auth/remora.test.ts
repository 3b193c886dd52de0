// auth in a real Remora process: JWT (HS256, RS256) and the external check against a real authz
// server reached through a Remora cluster with proxy_http_call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { startRemora, cleanupList, type RemoraProcess } from '../../test/support/remora.ts';
import { startHttp1Upstream, startWebSocketUpstream, type HttpUpstream, type EchoReply, type WebSocketUpstream } from '../../test/support/upstreams.ts';
import WebSocket from 'ws';
import { httpRequest, json } from '../../test/support/clients.ts';
import { startGrpcUpstream, echoClient, type GrpcUpstream, type EchoReply as GrpcEchoReply } from '../../test/support/grpc.ts';
import * as grpc from '@grpc/grpc-js';
import { proxyConfig } from '../../test/support/config.ts';
import { buildPlugin, pluginWasmPath } from '../build.ts';
import { mintHs256, mintRs256, mintUnsigned, octJwk, nowSeconds } from './tokens.ts';

const scope = cleanupList();
let remora: RemoraProcess;
let app: HttpUpstream;
let authz: HttpUpstream;
let grpcUpstream: GrpcUpstream;
let wsUpstream: WebSocketUpstream;
const secret = randomBytes(32);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

before(async () => {
  await buildPlugin('auth');
  app = await startHttp1Upstream({ name: 'app' });
  // The external check: lets "Bearer letmein" through as user u-9, refuses everything else.
  authz = await startHttp1Upstream({
    name: 'authz',
    handler: (req, res) => {
      req.resume();
      if (req.headers.authorization === 'Bearer letmein' && /^\/check\/(ext|ws-ext)\//.test(req.url ?? '')) {
        res.writeHead(200, { 'x-user-id': 'u-9' }).end();
      } else {
        res.writeHead(403, { 'content-type': 'text/plain', 'www-authenticate': 'Custom realm="authz"' }).end('denied by authz');
      }
    },
  });
  grpcUpstream = await startGrpcUpstream();
  wsUpstream = await startWebSocketUpstream();
  scope.after(() => wsUpstream.close());
  scope.after(() => app.close());
  scope.after(() => authz.close());
  scope.after(() => grpcUpstream.close());
  remora = await startRemora(scope, proxyConfig({
    routes: [
      { name: 'api', match: { pathPrefix: '/api' }, plugins: ['jwt'], cluster: 'app' },
      { name: 'ext', match: { pathPrefix: '/ext' }, plugins: ['ext'], cluster: 'app' },
      { name: 'grpc', match: { pathPrefix: '/remora.test.Echo/' }, plugins: ['jwt'], cluster: 'grpc' },
      { name: 'ws-ext', match: { pathPrefix: '/ws-ext' }, plugins: ['ext'], cluster: 'ws' },
      { name: 'ws', match: { pathPrefix: '/ws' }, plugins: ['jwt'], cluster: 'ws' },
      { name: 'open', match: { pathPrefix: '/' }, cluster: 'app' },
    ],
    clusters: [
      { name: 'app', endpoints: [app.endpoint] },
      { name: 'authz', endpoints: [authz.endpoint] },
      { name: 'grpc', endpoints: [grpcUpstream.endpoint], protocol: 'http2' },
      { name: 'ws', endpoints: [wsUpstream.endpoint] },
    ],
    extra: {
      plugins: [
        {
          name: 'jwt',
          url: pluginWasmPath('auth'),
          config: {
            realm: 'api',
            jwt: {
              jwks: { keys: [octJwk(secret, 'hs'), { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rs', alg: 'RS256', use: 'sig' }] },
              audiences: ['api'],
              forwardClaims: { role: 'x-role' },
            },
          },
        },
        {
          name: 'ext',
          url: pluginWasmPath('auth'),
          config: { external: { cluster: 'authz', pathPrefix: '/check', upstreamHeaders: ['x-user-id'], timeoutMs: 2000 } },
        },
      ],
    },
  }));
});

after(() => scope.run());

const port = () => remora.ports.main!;
const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'u-1', aud: 'api', role: 'admin', exp: nowSeconds() + 120, ...extra });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

test('no token: 401 with www-authenticate; the app is not reached', async () => {
  const before = app.requests.length;
  const r = await httpRequest(port(), { path: '/api/items' });
  assert.equal(r.status, 401);
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="api"');
  assert.equal(app.requests.length, before);
});

test('valid HS256 and RS256 tokens: 200, identity and claims forwarded', async () => {
  for (const token of [mintHs256(secret, claims()), mintRs256(rsa.privateKey, claims(), { kid: 'rs' })]) {
    const r = await httpRequest(port(), { path: '/api/items', headers: { ...bearer(token), 'x-role': 'spoofed' } });
    assert.equal(r.status, 200);
    const echo = json<EchoReply>(r);
    assert.equal(echo.headers['x-remora-identity'], 'u-1');
    assert.equal(echo.headers['x-role'], 'admin');
  }
});

test('expired, wrongly signed, alg none and malformed tokens: 401 invalid_token', async () => {
  const tokens = [
    mintHs256(secret, claims({ exp: nowSeconds() - 600 })),
    mintHs256(randomBytes(32), claims()),
    mintUnsigned(claims()),
    mintHs256(secret, claims({ aud: 'other' })),
    'garbage',
  ];
  for (const token of tokens) {
    const r = await httpRequest(port(), { path: '/api/items', headers: bearer(token) });
    assert.equal(r.status, 401, token);
    assert.match(String(r.headers['www-authenticate']), /^Bearer realm="api", error="invalid_token"/);
  }
});

test('external check through a cluster: allowed with copied headers, denied with the service verdict', async () => {
  const ok = await httpRequest(port(), { path: '/ext/orders', headers: { authorization: 'Bearer letmein' } });
  assert.equal(ok.status, 200);
  assert.equal(json<EchoReply>(ok).headers['x-user-id'], 'u-9');
  const seen = authz.requests.at(-1)!;
  assert.equal(seen.url, '/check/ext/orders');
  assert.equal(seen.headers.authorization, 'Bearer letmein');

  const denied = await httpRequest(port(), { path: '/ext/orders', headers: { authorization: 'Bearer nope' } });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.toString(), 'denied by authz');
  assert.equal(denied.headers['www-authenticate'], 'Custom realm="authz"');
});

/** Opens a WebSocket through Remora and returns the echo of one message; rejects if the upgrade is refused. */
async function wsEcho(path: string, headers: Record<string, string>, message: string): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${port()}${path}`, { headers });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
  });
  const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
  ws.send(message);
  try {
    return await reply;
  } finally {
    ws.close();
  }
}

/** Status and www-authenticate of an upgrade Remora refuses; rejects if the upgrade goes through. */
function wsRefused(path: string, headers: Record<string, string> = {}): Promise<{ status: number; auth: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port()}${path}`, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, auth: res.headers['www-authenticate'] as string | undefined });
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => reject(new Error(`upgrade to ${path} was let through`)));
    ws.on('error', () => {});
  });
}

test('WebSocket upgrades pass the plugin: refused without a token, tunnelled with one (claims forwarded)', async () => {
  assert.deepEqual(await wsRefused('/ws/chat'), { status: 401, auth: 'Bearer realm="api"' });
  assert.equal(wsUpstream.upgrades.length, 0, 'the upstream never saw the refused upgrade');
  const token = mintHs256(secret, claims());
  assert.equal(await wsEcho('/ws/chat', { ...bearer(token), 'x-role': 'spoofed' }, 'hello'), 'echo:hello');
  const seen = wsUpstream.upgrades.at(-1)!;
  assert.equal(seen.url, '/ws/chat');
  assert.equal(seen.headers['x-role'], 'admin', 'the plugin rewrote the upgrade request');
  assert.equal(seen.headers['x-remora-identity'], 'u-1');
});

test('a WebSocket upgrade waits for the external check (the stream pauses), then opens', async () => {
  assert.equal(await wsEcho('/ws-ext/feed', { authorization: 'Bearer letmein' }, 'ping'), 'echo:ping');
  assert.equal(wsUpstream.upgrades.at(-1)!.headers['x-user-id'], 'u-9');
  assert.equal((await wsRefused('/ws-ext/feed', { authorization: 'Bearer nope' })).status, 403);
});

test('gRPC calls: no token gives UNAUTHENTICATED, a valid token goes through', async () => {
  const client = echoClient(`127.0.0.1:${port()}`);
  try {
    const call = (metadata: grpc.Metadata) => new Promise<{ err: grpc.ServiceError | null; reply?: GrpcEchoReply }>((res) => {
      client.Unary({ text: 'hi' }, metadata, (err, reply) => res({ err, reply }));
    });
    const refused = await call(new grpc.Metadata());
    assert.equal(refused.err?.code, grpc.status.UNAUTHENTICATED);
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${mintHs256(secret, claims())}`);
    const ok = await call(md);
    assert.equal(ok.err, null);
    assert.equal(ok.reply?.text, 'hi');
    assert.equal(grpcUpstream.calls.at(-1)?.metadata['x-remora-identity'], 'u-1');
  } finally {
    client.close();
  }
});

test('routes without the plugin are not affected', async () => {
  assert.equal((await httpRequest(port(), { path: '/public' })).status, 200);
});
