// The auth plugin's configuration parsing and per-request decision, compiled to Wasm and fed real
// JWTs minted with node:crypto (no host involved; the plugin tests cover the host side).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadTestModule, type AsModule } from '../toolchain/test-module.ts';
import { mintHs256, mintRs256, mintUnsigned, octJwk, nowSeconds } from './tokens.ts';

const pluginDir = fileURLToPath(new URL('.', import.meta.url));
let m: AsModule;

const secret = randomBytes(32);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaJwk = { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
const jwks = { keys: [octJwk(secret, 'hs-1'), rsaJwk, { kty: 'EC', kid: 'ec-1', crv: 'P-256', x: 'AA', y: 'AA' }] };

const baseConfig = {
  realm: 'api',
  jwt: {
    jwks,
    issuers: ['https://issuer.test'],
    audiences: ['orders'],
    clockSkewSeconds: 30,
    forwardClaims: { sub: 'x-user', roles: 'x-roles' },
  },
};

before(async () => {
  m = await loadTestModule(pluginDir, 'policy');
});

function configure(config: unknown): string {
  return m.string(m.call('configure', typeof config === 'string' ? config : JSON.stringify(config)));
}

interface Decision {
  status: number;
  challenge: string;
  error: string;
  description: string;
  edits: string[];
}

function decide(headers: Record<string, string>, path = '/orders', now = nowSeconds()): Decision {
  const text = Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n');
  const [status, challenge, error, description, ...edits] = m.string(m.call('decideFor', text, path, now)).split('\n');
  return { status: Number(status), challenge, error, description, edits };
}

const claims = (extra: Record<string, unknown> = {}) => ({
  iss: 'https://issuer.test', aud: 'orders', sub: 'user-7', exp: nowSeconds() + 300, ...extra,
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('valid HS256 and RS256 tokens are accepted; identity and claims become request headers', () => {
  assert.equal(configure(baseConfig), '');
  const hs = decide(bearer(mintHs256(secret, claims({ roles: ['admin', 'ops'] }), { kid: 'hs-1' })));
  assert.equal(hs.status, 0, hs.description);
  // Spoofable headers are removed first, then set from the verified token.
  assert.deepEqual(hs.edits, ['-x-remora-identity', '-x-user', '-x-roles', 'x-remora-identity: user-7', 'x-user: user-7', 'x-roles: admin,ops']);
  const rs = decide(bearer(mintRs256(rsa.privateKey, claims(), { kid: 'rsa-1' })));
  assert.equal(rs.status, 0, rs.description);
  // Without a kid every key of the token's algorithm is tried.
  assert.equal(decide(bearer(mintRs256(rsa.privateKey, claims()))).status, 0);
  // The auth scheme is case-insensitive.
  assert.equal(decide({ authorization: `bearer ${mintHs256(secret, claims())}` }).status, 0);
});

test('verified tokens are cached by their text; claims are still checked on every use', () => {
  configure(baseConfig);
  const now = nowSeconds();
  const token = mintRs256(rsa.privateKey, claims({ exp: now + 100 }), { kid: 'rsa-1' });
  assert.equal(m.call('cacheHits'), 0);
  assert.equal(decide(bearer(token), '/', now).status, 0);
  assert.equal(decide(bearer(token), '/', now).status, 0);
  assert.equal(m.call('cacheHits'), 1, 'the second use is a cache hit');
  // Later the same (cached) token has expired: refused although its signature result is cached.
  const later = decide(bearer(token), '/', now + 1000);
  assert.equal(later.status, 401);
  assert.equal(later.description, 'token expired');
  // A token differing only in its signature never hits the entry.
  const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  assert.equal(decide(bearer(forged), '/', now).status, 401);
  configure({ ...baseConfig, jwt: { ...baseConfig.jwt, cacheSize: 0 } });
  decide(bearer(token), '/', now);
  decide(bearer(token), '/', now);
  assert.equal(m.call('cacheHits'), 0, 'cacheSize 0 disables the cache');
});

test('missing credentials get 401 with a bare Bearer challenge', () => {
  configure(baseConfig);
  const d = decide({});
  assert.equal(d.status, 401);
  assert.equal(d.challenge, 'Bearer realm="api"');
  assert.equal(decide({ authorization: 'Basic dXNlcjpwYXNz' }).status, 401);
});

test('wrongly signed, tampered, alg none, unknown kid and malformed tokens get 401 invalid_token', () => {
  configure(baseConfig);
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const good = mintHs256(secret, claims());
  const [h, p] = good.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify(claims({ sub: 'admin' }))).toString('base64url')}.${good.split('.')[2]}`;
  const cases: Record<string, string> = {
    'other HMAC secret': mintHs256(randomBytes(32), claims()),
    'other RSA key': mintRs256(other.privateKey, claims(), { kid: 'rsa-1' }),
    'payload changed after signing': forged,
    'alg none': mintUnsigned(claims()),
    'alg none with a signature': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.${good.split('.')[2]}`,
    'alg HS512': mintHs256(secret, claims(), { alg: 'HS512' }),
    'unknown kid': mintHs256(secret, claims(), { kid: 'nope' }),
    'RS256 token naming the HMAC key': mintRs256(rsa.privateKey, claims(), { kid: 'hs-1' }),
    'two parts': `${h}.${p}`,
    'four parts': `${good}.x`,
    'not base64url': `${h}.${p}.***`,
    'header not JSON': `${Buffer.from('nope').toString('base64url')}.${p}.${good.split('.')[2]}`,
    'payload an array': mintHs256(secret, [1, 2] as never),
    'garbage': 'abc',
    'critical header': mintHs256(secret, claims(), { crit: ['exp'] }),
  };
  for (const [name, token] of Object.entries(cases)) {
    const d = decide(bearer(token));
    assert.equal(d.status, 401, `${name}: ${d.description}`);
    assert.equal(d.error, 'invalid_token', name);
    assert.match(d.challenge, /^Bearer realm="api", error="invalid_token", error_description="[^"\\]*"$/, name);
  }
});

test('HS256 forged with the RSA public key as the HMAC secret is refused (algorithm confusion)', () => {
  configure(baseConfig);
  const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;
  for (const key of [Buffer.from(pem), Buffer.from(rsaJwk.n!, 'base64url')]) {
    assert.equal(decide(bearer(mintHs256(key, claims(), { kid: 'rsa-1' }))).status, 401);
    assert.equal(decide(bearer(mintHs256(key, claims()))).status, 401);
  }
});

test('exp and nbf are checked with the configured clock skew', () => {
  configure(baseConfig);
  const now = nowSeconds();
  const at = (extra: Record<string, unknown>) => decide(bearer(mintHs256(secret, claims(extra))), '/', now);
  assert.equal(at({ exp: now - 60 }).description, 'token expired');
  assert.equal(at({ exp: now - 60 }).status, 401);
  assert.equal(at({ exp: now - 10 }).status, 0, 'expired 10 s ago is within the 30 s skew');
  assert.equal(at({ exp: now + 1, nbf: now + 120 }).description, 'token not yet valid');
  assert.equal(at({ nbf: now + 20 }).status, 0, 'valid in 20 s is within the skew');
  assert.equal(at({ exp: undefined }).description, 'token has no exp claim');
  assert.equal(at({ exp: 'tomorrow' }).status, 401);
  configure({ ...baseConfig, jwt: { ...baseConfig.jwt, requireExpiration: false, clockSkewSeconds: 0 } });
  assert.equal(at({ exp: undefined }).status, 0);
  assert.equal(at({ exp: now - 1 }).status, 401, 'no skew: expired a second ago');
});

test('iss and aud must match; aud may be an array', () => {
  configure(baseConfig);
  const tok = (extra: Record<string, unknown>) => decide(bearer(mintHs256(secret, claims(extra))));
  assert.equal(tok({ iss: 'https://evil.test' }).description, 'token issuer not accepted');
  assert.equal(tok({ iss: undefined }).status, 401);
  assert.equal(tok({ aud: 'billing' }).description, 'token audience not accepted');
  assert.equal(tok({ aud: ['billing', 'orders'] }).status, 0);
  assert.equal(tok({ aud: ['billing'] }).status, 401);
  assert.equal(tok({ aud: undefined }).status, 401);
});

test('a valid token lacking a required claim value gets 403 insufficient_scope', () => {
  configure({ ...baseConfig, jwt: { ...baseConfig.jwt, requiredClaims: { scope: 'orders:write', tenant: true } } });
  const tok = (extra: Record<string, unknown>) => decide(bearer(mintHs256(secret, claims(extra))));
  const d = tok({ scope: 'orders:read', tenant: 'a' });
  assert.equal(d.status, 403);
  assert.equal(d.error, 'insufficient_scope');
  assert.match(d.challenge, /error="insufficient_scope"/);
  assert.equal(tok({ scope: 'orders:read orders:write', tenant: 'a' }).status, 0);
  assert.equal(tok({ scope: ['orders:write'], tenant: 'a' }).status, 0);
  assert.equal(tok({ scope: 'orders:write' }).status, 403, 'tenant missing');
});

test('tokens from a query parameter; forwardToken false removes the header', () => {
  configure({ ...baseConfig, jwt: { ...baseConfig.jwt, queryParam: 'access_token', forwardToken: false } });
  const token = mintHs256(secret, claims());
  assert.equal(decide({}, `/orders?x=1&access_token=${token}`).status, 0);
  assert.equal(decide({}, `/orders?access_token=${token}x`).status, 401);
  assert.ok(decide(bearer(token)).edits.includes('-authorization'));
});

test('API keys from a header or query parameter, compared by digest', () => {
  assert.equal(configure({
    apiKeys: { queryParam: 'api_key', keys: [{ name: 'ci', key: 'k-ci-123' }, { name: 'ops', sha256: '5994471abb01112afcc18159f6cc74b4f511b99806da59b3caf5a9c173cacfc5' }] },
  }), '');
  const ok = decide({ 'x-api-key': 'k-ci-123' });
  assert.equal(ok.status, 0);
  assert.deepEqual(ok.edits, ['-x-remora-identity', '-x-api-key', 'x-remora-identity: ci']);
  // sha256("12345") given in the config: the key itself never appears there.
  assert.deepEqual(decide({ 'x-api-key': '12345' }).edits.at(-1), 'x-remora-identity: ops');
  assert.equal(decide({}, '/x?api_key=k-ci-123').status, 0);
  const bad = decide({ 'x-api-key': 'k-ci-124' });
  assert.equal(bad.status, 401);
  assert.equal(bad.challenge, 'ApiKey realm="remora", error="invalid_token", error_description="unknown API key"');
  assert.equal(decide({}).status, 401);
});

test('external mode: no local credential defers to the external check; a bad one is still refused', () => {
  configure({ external: { cluster: 'authz' } });
  assert.equal(decide({}).status, 1);
  configure({ ...baseConfig, external: { cluster: 'authz' } });
  assert.equal(decide(bearer(mintHs256(secret, claims()))).status, 1, 'valid token, then the external check');
  assert.equal(decide(bearer('abc')).status, 401);
  assert.equal(decide({}).status, 1);
});

test('attacker-controlled text cannot break out of the challenge header', () => {
  configure(baseConfig);
  const d = decide(bearer(mintHs256(secret, claims(), { alg: 'x", error="none\\' })));
  assert.equal(d.status, 401);
  assert.equal(d.challenge, 'Bearer realm="api", error="invalid_token", error_description="token algorithm x, error=none is not accepted"');
});

test('bad configurations are refused with the field path and the expectation', () => {
  const cases: Array<[unknown, string]> = [
    ['{', 'config: invalid JSON'],
    [{}, 'config: expected at least one of "jwt", "apiKeys", "external"'],
    [{ jwtt: {} }, 'jwtt: unknown field'],
    [{ jwt: {} }, 'jwt.jwks: expected a JWKS object'],
    [{ jwt: { jwks: { keys: [] } } }, 'jwt.jwks: no RS256 (kty RSA) or HS256 (kty oct) signing key'],
    [{ jwt: { jwks: { keys: [{ kty: 'oct', k: 'c2hvcnQ' }] } } }, 'jwt.jwks.keys[0].k: HS256 keys must be at least 32 bytes'],
    [{ jwt: { jwks: { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }] } } }, 'jwt.jwks.keys[0]: modulus must be 2048 to 4096 bits'],
    [{ jwt: { jwks, clockSkewSeconds: -1 } }, 'jwt.clockSkewSeconds: expected a number >= 0'],
    [{ jwt: { jwks, audiences: [1] } }, 'jwt.audiences: expected a string or an array of strings'],
    [{ jwt: { jwks, cacheSize: -1 } }, 'jwt.cacheSize: expected an integer from 0 to 100000'],
    [{ apiKeys: { keys: [{ key: 'x' }] } }, 'apiKeys.keys[0].name: expected a non-empty string'],
    [{ apiKeys: { keys: [{ name: 'a', key: 'x', sha256: 'ab' }] } }, 'apiKeys.keys[0]: expected exactly one of'],
    [{ apiKeys: { keys: [{ name: 'a', sha256: 'zz' }] } }, 'apiKeys.keys[0].sha256: expected 64 hex digits'],
    [{ external: { cluster: '' } }, 'external.cluster: expected the name of a cluster'],
    [{ external: { cluster: 'a', statusOnError: 200 } }, 'external.statusOnError: expected an HTTP status from 400 to 599'],
    [{ realm: 'a"b', apiKeys: { keys: [{ name: 'a', key: 'b' }] } }, 'realm: expected a string without quotes'],
  ];
  for (const [config, want] of cases) {
    const got = configure(config);
    assert.ok(got.startsWith(want), `${JSON.stringify(config)} -> ${got}`);
  }
});
