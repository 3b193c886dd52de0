// auth as a plugin: built with plugins/build.ts and hosted in-process by the SDK harness on Remora's
// abi/ host, with tokens minted by node:crypto and the external check answered by the test.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { loadPlugin, PluginStartError, type PluginHarness } from '@remora/sdk/harness';
import { metricStore } from '../../abi/index.ts';
import { buildPlugin, pluginWasmPath } from '../build.ts';

/** A counter's value across the process (cells are shared by name, as in Remora): tests compare deltas. */
const counter = (name: string) => Number([...metricStore.cells()].find((c) => c.name === name)?.value ?? 0);
import { mintHs256, mintRs256, mintUnsigned, octJwk, nowSeconds } from './tokens.ts';

const wasm = pluginWasmPath('auth');
const secret = randomBytes(32);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwks = { keys: [octJwk(secret, 'hs'), { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rs', alg: 'RS256' }] };
const config = {
  realm: 'shop',
  jwt: { jwks, issuers: ['https://id.test'], audiences: ['shop'], forwardClaims: { email: 'x-user-email' }, requiredClaims: { scope: 'read' } },
  apiKeys: { keys: [{ name: 'batch-job', key: 'k-123' }] },
};
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: 'https://id.test', aud: 'shop', sub: 'u-1', email: 'u1@example.com', scope: 'read write', exp: nowSeconds() + 60, ...extra,
});
let h: PluginHarness;

before(async () => {
  await buildPlugin('auth');
  h = await loadPlugin(wasm, { config });
});

const withAuth = (value: string, extra: Record<string, string> = {}) => ({ request: { headers: { authorization: value, ...extra } } });

test('no credential: 401 with a Bearer challenge, the upstream is not called', async () => {
  const deniedBefore = counter('auth_denied_total');
  const s = await h.request();
  assert.equal(s.response.status, 401);
  assert.equal(counter('auth_denied_total'), deniedBefore + 1);
  assert.equal(s.upstreamRequest, undefined);
  assert.equal(s.response.headers.get('www-authenticate'), 'Bearer realm="shop"');
  assert.deepEqual(JSON.parse(s.response.body.toString()), { error: 'unauthorized', error_description: 'no credentials' });
});

test('gRPC requests are refused with the matching grpc-status (UNAUTHENTICATED, PERMISSION_DENIED)', async () => {
  const grpcHeaders = { ':method': 'POST', ':path': '/pkg.Svc/Call', 'content-type': 'application/grpc' };
  const missing = await h.request({ request: { headers: grpcHeaders } });
  assert.equal(missing.localReply?.status, 401);
  assert.equal(missing.localReply?.grpcStatus, 16);
  assert.equal(missing.localReply?.body, 'no credentials', 'the reason becomes grpc-message');
  assert.equal(missing.localReply?.headers.has('content-type'), false, 'the host sets application/grpc');
  const scope = await h.request({ request: { headers: { ...grpcHeaders, authorization: `Bearer ${mintHs256(secret, claims({ scope: 'write' }))}` } } });
  assert.equal(scope.localReply?.grpcStatus, 7);
  assert.equal((await h.request()).localReply?.grpcStatus, undefined, 'plain HTTP replies carry no grpc-status');
});

test('valid HS256 and RS256 tokens reach the upstream with identity and claim headers; spoofed ones are replaced', async () => {
  for (const token of [mintHs256(secret, claims(), { kid: 'hs' }), mintRs256(rsa.privateKey, claims(), { kid: 'rs' })]) {
    const s = await h.request(withAuth(`Bearer ${token}`, { 'x-remora-identity': 'admin', 'x-user-email': 'boss@example.com' }));
    assert.equal(s.response.status, 200);
    assert.equal(s.upstreamRequest?.headers.get('x-remora-identity'), 'u-1');
    assert.deepEqual(s.upstreamRequest?.headers.getAll('x-user-email'), ['u1@example.com']);
    assert.equal(s.upstreamRequest?.headers.get('authorization'), `Bearer ${token}`);
  }
});

test('identity and claim headers sent as request trailers are dropped; other trailers pass', async () => {
  const token = mintHs256(secret, claims(), { kid: 'hs' });
  const s = await h.request({
    request: {
      headers: { ':method': 'POST', authorization: `Bearer ${token}` },
      body: 'x',
      trailers: { 'x-remora-identity': 'admin', 'x-user-email': 'boss@example.com', 'x-checksum': 'abc' },
    },
  });
  assert.equal(s.response.status, 200);
  const trailers = s.upstreamRequest!.trailers;
  assert.equal(trailers.get('x-remora-identity'), undefined);
  assert.equal(trailers.get('x-user-email'), undefined);
  assert.equal(trailers.get('x-checksum'), 'abc');
  assert.equal(s.upstreamRequest!.headers.get('x-remora-identity'), 'u-1');
});

/** An HS256 token over `payload` exactly as written (JSON.stringify cannot write every number). */
function signedText(payload: string): string {
  const input = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

test('invalid tokens get 401 invalid_token with the reason', async () => {
  const cases: Array<[string, string]> = [
    [mintHs256(randomBytes(32), claims()), 'token signature is invalid'],
    [mintHs256(secret, claims({ exp: nowSeconds() - 3600 })), 'token expired'],
    [mintHs256(secret, claims({ nbf: nowSeconds() + 3600 })), 'token not yet valid'],
    [mintHs256(secret, claims({ iss: 'https://other.test' })), 'token issuer not accepted'],
    [mintHs256(secret, claims({ aud: ['billing'] })), 'token audience not accepted'],
    [mintUnsigned(claims()), 'token algorithm none is not accepted'],
    ['not.a.jwt', 'token header is not base64url JSON'],
    // JSON numbers too large for a double parse to Infinity: such an exp would never pass.
    [signedText(JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e99999')), 'exp claim is not a number'],
    [signedText(JSON.stringify(claims()).replace(/}$/, ',"nbf":-1e99999}')), 'nbf claim is not a number'],
  ];
  for (const [token, reason] of cases) {
    const s = await h.request(withAuth(`Bearer ${token}`));
    assert.equal(s.response.status, 401, reason);
    assert.equal(s.upstreamRequest, undefined);
    assert.equal(s.response.headers.get('www-authenticate'), `Bearer realm="shop", error="invalid_token", error_description="${reason}"`);
    assert.equal(JSON.parse(s.response.body.toString()).error, 'invalid_token');
  }
});

test('a valid token without the required scope gets 403 insufficient_scope', async () => {
  const s = await h.request(withAuth(`Bearer ${mintHs256(secret, claims({ scope: 'write' }))}`));
  assert.equal(s.response.status, 403);
  assert.match(s.response.headers.get('www-authenticate') ?? '', /^Bearer realm="shop", error="insufficient_scope"/);
});

test('an API key authenticates as its name and is not forwarded', async () => {
  const s = await h.request({ request: { headers: { 'x-api-key': 'k-123' } } });
  assert.equal(s.response.status, 200);
  assert.equal(s.upstreamRequest?.headers.get('x-remora-identity'), 'batch-job');
  assert.equal(s.upstreamRequest?.headers.has('x-api-key'), false);
  assert.equal((await h.request({ request: { headers: { 'x-api-key': 'k-124' } } })).response.status, 401);
});

test('external check: request headers go to the cluster; 2xx continues with copied headers', async () => {
  const ext = await loadPlugin(wasm, {
    clusters: ['authz'],
    config: { external: { cluster: 'authz', pathPrefix: '/check', requestHeaders: ['authorization', 'cookie'], upstreamHeaders: ['x-user-id'] } },
  });
  const stream = ext.stream({ request: { headers: { ':method': 'POST', ':path': '/orders?id=1', cookie: 's=abc', 'x-other': 'no' } } });
  const done = stream.run();
  await new Promise((r) => setImmediate(r));
  assert.equal(ext.httpCalls.length, 1);
  const call = ext.httpCalls[0]!;
  assert.equal(call.cluster, 'authz');
  assert.equal(call.headers.get(':method'), 'POST');
  assert.equal(call.headers.get(':path'), '/check/orders?id=1');
  assert.equal(call.headers.get(':authority'), 'authz');
  assert.equal(call.headers.get('cookie'), 's=abc');
  assert.equal(call.headers.has('x-other'), false);
  assert.equal(stream.upstreamRequest, undefined, 'held while the check runs');
  call.respond({ status: 200, headers: { 'x-user-id': 'u-42' } });
  const s = await done;
  assert.equal(s.response.status, 200);
  assert.equal(s.upstreamRequest?.headers.get('x-user-id'), 'u-42');
});

test('external check: the identity comes only from the check answer, never from the client', async () => {
  const ext = await loadPlugin(wasm, { config: { external: { cluster: 'authz', upstreamHeaders: ['x-remora-identity'] } } });
  const run = async (answer: Record<string, string>) => {
    const s = ext.stream({ request: { headers: { 'x-remora-identity': 'admin' } } });
    const done = s.run();
    await new Promise((r) => setImmediate(r));
    ext.pendingHttpCalls[0]!.respond({ status: 200, headers: answer });
    return (await done).upstreamRequest!.headers.getAll('x-remora-identity');
  };
  assert.deepEqual(await run({ 'x-remora-identity': 'u-5' }), ['u-5']);
  assert.deepEqual(await run({}), []);
});

test('external check: a denial is forwarded to the client; no answer gives statusOnError', async () => {
  const ext = await loadPlugin(wasm, { config: { external: { cluster: 'authz', statusOnError: 503 } } });
  const [denied0, failures0] = [counter('auth_denied_total'), counter('auth_check_failures_total')];
  const denied = ext.stream({ request: { headers: { authorization: 'Bearer x' } } });
  const d = denied.run();
  await new Promise((r) => setImmediate(r));
  ext.httpCalls[0]!.respond({ status: 403, headers: { 'www-authenticate': 'Custom realm="x"', 'content-type': 'text/plain', 'x-secret': 'no' }, body: 'forbidden by policy' });
  const ds = await d;
  assert.equal(ds.response.status, 403);
  assert.equal(ds.response.body.toString(), 'forbidden by policy');
  assert.equal(ds.response.headers.get('www-authenticate'), 'Custom realm="x"');
  assert.equal(ds.response.headers.has('x-secret'), false);
  assert.equal(ds.upstreamRequest, undefined);

  const failing = ext.stream();
  const f = failing.run();
  await new Promise((r) => setImmediate(r));
  ext.httpCalls[1]!.fail();
  assert.equal((await f).response.status, 503);
  assert.equal(counter('auth_denied_total'), denied0 + 1);
  assert.equal(counter('auth_check_failures_total'), failures0 + 1);
});

test('an unknown check cluster answers statusOnError at once and counts a check failure', async () => {
  const ext = await loadPlugin(wasm, { clusters: ['other'], config: { external: { cluster: 'authz', statusOnError: 500 } } });
  const failures0 = counter('auth_check_failures_total');
  const s = await ext.request();
  assert.equal(s.response.status, 500);
  assert.equal(ext.httpCalls.length, 0);
  assert.equal(counter('auth_check_failures_total'), failures0 + 1);
  assert.ok(ext.messages('error').some((m) => m.includes('external check to cluster authz could not be sent')));
});

test('an invalid configuration stops the plugin with the field path in its log', async () => {
  await assert.rejects(loadPlugin(wasm, { config: { jwt: { jwks: { keys: [{ kty: 'oct', k: 'c2hvcnQ' }] } } } }), (e: unknown) => {
    assert.ok(e instanceof PluginStartError);
    assert.ok(e.logs.some((l) => l.message.startsWith('auth: invalid configuration: jwt.jwks.keys[0].k: HS256 keys must be at least 32 bytes')), JSON.stringify(e.logs));
    return true;
  });
});
