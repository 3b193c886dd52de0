import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, createVerify } from 'node:crypto';
import { rs256Fixture } from './plugins.ts';

test('rs256Fixture signs a token that its JWKS verifies, with the claims the auth config expects', () => {
  const { jwks, token } = rs256Fixture();
  const [h, c, s] = token.split('.');
  const key = createPublicKey({ key: jwks.keys[0] as import('node:crypto').JsonWebKey, format: 'jwk' });
  assert.ok(createVerify('sha256').update(`${h}.${c}`).verify(key, Buffer.from(s!, 'base64url')));
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
  const claims = JSON.parse(Buffer.from(c!, 'base64url').toString());
  assert.deepEqual([header.alg, header.kid], ['RS256', 'bench']);
  assert.deepEqual([claims.iss, claims.aud], ['https://bench.remora/', 'bench']);
  assert.ok(claims.exp > Date.now() / 1000 + 3600);
  assert.equal((jwks.keys[0] as { kid: string }).kid, 'bench');
});
