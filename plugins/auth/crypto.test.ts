// The auth plugin's crypto primitives, compiled to Wasm and checked against node:crypto.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadTestModule, type AsModule } from '../toolchain/test-module.ts';

const pluginDir = fileURLToPath(new URL('.', import.meta.url));
let m: AsModule;

before(async () => {
  m = await loadTestModule(pluginDir, 'crypto');
});

const sha = (d: Uint8Array) => Buffer.from(m.bytes(m.call('sha256Of', d))!).toString('hex');

test('sha256 matches node:crypto for lengths around block boundaries', () => {
  for (const len of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
    const data = randomBytes(len);
    assert.equal(sha(data), createHash('sha256').update(data).digest('hex'), `length ${len}`);
  }
  assert.equal(sha(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('sha256 fed in chunks equals the one-shot digest', () => {
  const data = randomBytes(300);
  const want = createHash('sha256').update(data).digest('hex');
  for (const chunk of [1, 7, 63, 64, 65, 299]) {
    assert.equal(Buffer.from(m.bytes(m.call('sha256Chunked', data, chunk))!).toString('hex'), want, `chunk ${chunk}`);
  }
});

test('hmac-sha256 matches node:crypto for short, block-sized and long keys', () => {
  for (const keyLen of [0, 5, 32, 64, 65, 200]) {
    const key = randomBytes(keyLen);
    const data = randomBytes(100);
    const got = Buffer.from(m.bytes(m.call('hmacSha256', key, data))!).toString('hex');
    assert.equal(got, createHmac('sha256', key).update(data).digest('hex'), `key length ${keyLen}`);
  }
  // RFC 4231 test case 2.
  const got = m.bytes(m.call('hmacSha256', Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?')))!;
  assert.equal(Buffer.from(got).toString('hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
});

test('base64url decodes valid text and refuses invalid text', () => {
  for (const len of [0, 1, 2, 3, 4, 5, 31, 32, 33, 256]) {
    const data = randomBytes(len);
    const text = data.toString('base64url');
    assert.deepEqual(Buffer.from(m.bytes(m.call('base64UrlDecodeOrNull', text))!), data, `length ${len}`);
  }
  // Optional padding accepted (some JWKS publishers pad), standard-base64 characters refused.
  assert.deepEqual(Buffer.from(m.bytes(m.call('base64UrlDecodeOrNull', 'YQ=='))!), Buffer.from('a'));
  for (const bad of ['a', 'ab+c', 'ab/c', 'ab c', 'YQ=', 'Y===', 'YR', 'é']) {
    assert.equal(m.call('base64UrlDecodeOrNull', bad), 0, `"${bad}" should be refused`);
  }
});

function rsaKey(bits: number) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    privateKey,
    n: Buffer.from(jwk.n!, 'base64url'),
    e: Buffer.from(jwk.e!, 'base64url'),
  };
}

test('RS256: genuine signatures verify, tampered ones do not (2048, 3072 and 4096-bit keys)', () => {
  for (const bits of [2048, 3072, 4096]) {
    const { privateKey, n, e } = rsaKey(bits);
    for (let i = 0; i < 3; i++) {
      const msg = randomBytes(10 + i * 50);
      const sig = createSign('sha256').update(msg).sign(privateKey);
      assert.equal(m.call('rsaVerifySha256', n, e, msg, sig), 1, `${bits}-bit genuine signature`);
      const otherMsg = Buffer.concat([msg, Buffer.from('x')]);
      assert.equal(m.call('rsaVerifySha256', n, e, otherMsg, sig), 0, `${bits}-bit other message`);
      const flipped = Buffer.from(sig);
      flipped[flipped.length - 1 - i] ^= 1;
      assert.equal(m.call('rsaVerifySha256', n, e, msg, flipped), 0, `${bits}-bit flipped bit`);
    }
  }
});

test('RSA: one loaded key verifies many signatures in a row, genuine and tampered interleaved', () => {
  const { privateKey, n, e } = rsaKey(2048);
  assert.equal(m.call('rsaLoadKey', n, e), 1);
  for (let i = 0; i < 12; i++) {
    const msg = randomBytes(20 + i);
    const sig = createSign('sha256').update(msg).sign(privateKey);
    if (i % 3 === 2) sig[i] ^= 0x40;
    assert.equal(m.call('rsaVerifyWithLoadedKey', msg, sig), i % 3 === 2 ? 0 : 1, `signature ${i}`);
  }
});

test('RSA: exponents other than 65537 (set bits inside the exponent take the multiply step)', () => {
  for (const publicExponent of [3, 0x10003, 0x2f]) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent });
    const jwk = publicKey.export({ format: 'jwk' });
    const n = Buffer.from(jwk.n!, 'base64url');
    const e = Buffer.from(jwk.e!, 'base64url');
    const msg = randomBytes(40);
    const sig = createSign('sha256').update(msg).sign(privateKey);
    assert.equal(m.call('rsaVerifySha256', n, e, msg, sig), 1, `e=${publicExponent} genuine`);
    sig[5] ^= 1;
    assert.equal(m.call('rsaVerifySha256', n, e, msg, sig), 0, `e=${publicExponent} tampered`);
  }
});

test('RS256: signatures of the wrong length, >= n, or from another key are refused', () => {
  const { privateKey, n, e } = rsaKey(2048);
  const other = rsaKey(2048);
  const msg = Buffer.from('payload');
  const sig = createSign('sha256').update(msg).sign(privateKey);
  assert.equal(m.call('rsaVerifySha256', n, e, msg, sig.subarray(1)), 0, 'short signature');
  assert.equal(m.call('rsaVerifySha256', n, e, msg, Buffer.concat([Buffer.alloc(1), sig])), 0, 'long signature');
  assert.equal(m.call('rsaVerifySha256', n, e, msg, n), 0, 'signature equal to n');
  assert.equal(m.call('rsaVerifySha256', n, e, msg, Buffer.alloc(n.length, 0xff)), 0, 'signature above n');
  assert.equal(m.call('rsaVerifySha256', other.n, other.e, msg, sig), 0, 'other key');
  // A leading zero byte on n (as some JWKS encode it) does not change the key.
  assert.equal(m.call('rsaVerifySha256', Buffer.concat([Buffer.alloc(1), n]), e, msg, sig), 1, 'zero-padded n');
});

test('RS256: a correct RSA signature over a non-SHA-256 DigestInfo is refused', () => {
  // Same key, same message, but signed as SHA-512: the modular exponentiation succeeds yet the
  // encoded message differs, so the verifier must reject it.
  const { privateKey, n, e } = rsaKey(2048);
  const msg = Buffer.from('payload');
  const sig512 = createSign('sha512').update(msg).sign(privateKey);
  assert.equal(m.call('rsaVerifySha256', n, e, msg, sig512), 0);
});

test('RSA keys: small, even or malformed keys are refused with a reason', () => {
  const small = rsaKey(1024);
  assert.match(m.string(m.call('rsaKeyError', small.n, small.e)), /2048 to 4096 bits, got 1024/);
  // A 4097-bit odd modulus (no key needed: the size is checked first).
  const big = Buffer.alloc(513, 0xff);
  big[0] = 0x01;
  assert.match(m.string(m.call('rsaKeyError', big, Buffer.from([1, 0, 1]))), /got 4097/);
  const { n, e } = rsaKey(2048);
  assert.equal(m.string(m.call('rsaKeyError', n, e)), '');
  const even = Buffer.from(n);
  even[even.length - 1] &= 0xfe;
  assert.match(m.string(m.call('rsaKeyError', even, e)), /even/);
  assert.match(m.string(m.call('rsaKeyError', n, Buffer.from([2]))), /odd/);
  assert.match(m.string(m.call('rsaKeyError', n, Buffer.from([1, 0, 0, 0, 1]))), /32 bits/);
  assert.match(m.string(m.call('rsaKeyError', Buffer.alloc(3), e)), /zero/);
});
