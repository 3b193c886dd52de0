// JSON Web Key Sets (RFC 7517) as the auth plugin's configuration gives them. Keys are decoded
// once, when the plugin is configured: RSA keys become Montgomery-ready limbs, HMAC keys get
// their pads precomputed, so verifying a token does no key work.
import { JsonValue } from '@remora/sdk/assembly/json';
import { base64UrlDecode } from '../crypto/base64url';
import { RsaPublicKey } from '../crypto/rsa';
import { HmacSha256Key } from '../crypto/hmac';

/** The two JWS algorithms the plugin accepts; every other `alg` (including "none") is refused. */
export const ALG_HS256 = 'HS256';
export const ALG_RS256 = 'RS256';

export class VerificationKey {
  /** `kid`, "" when the JWK has none. */
  kid: string = '';
  /** HS256 for `kty: oct`, RS256 for `kty: RSA`: the only algorithm this key may verify. */
  alg: string = '';
  rsa: RsaPublicKey | null = null;
  hmac: HmacSha256Key | null = null;
}

export class KeySet {
  keys: VerificationKey[] = [];
  /** Why parsing failed; "" on success. */
  error: string = '';
  /** Keys skipped because their kty/alg/use is not for RS256/HS256 signatures. */
  skipped: i32 = 0;
}

function fail(set: KeySet, message: string): KeySet {
  set.error = message;
  set.keys = [];
  return set;
}

/**
 * Reads `{"keys": [JWK, ...]}`. RSA and oct signing keys are kept; keys of other types or marked
 * for another use/algorithm are skipped (an IdP's JWKS often also lists EC or encryption keys);
 * a malformed RSA/oct key, or a set with no usable key, is an error naming the key's index.
 */
export function parseJwks(jwks: JsonValue): KeySet {
  const set = new KeySet();
  const list = jwks.get('keys');
  if (list === null || !list.isArray) return fail(set, 'jwks: expected an object with a "keys" array');
  for (let i = 0; i < list.length; i++) {
    const jwk = list.at(i)!;
    const where = 'jwks.keys[' + i.toString() + ']';
    if (!jwk.isObject) return fail(set, where + ': expected an object');
    const kty = jwk.getString('kty');
    const use = jwk.getString('use');
    const alg = jwk.getString('alg');
    if (use.length > 0 && use != 'sig') {
      set.skipped++;
      continue;
    }
    const key = new VerificationKey();
    key.kid = jwk.getString('kid');
    if (kty == 'RSA') {
      if (alg.length > 0 && alg != ALG_RS256) {
        set.skipped++;
        continue;
      }
      const n = base64UrlDecode(jwk.getString('n'));
      const e = base64UrlDecode(jwk.getString('e'));
      if (n === null || n.length == 0) return fail(set, where + '.n: expected the base64url modulus');
      if (e === null || e.length == 0) return fail(set, where + '.e: expected the base64url exponent');
      const rsa = RsaPublicKey.fromBytes(n, e);
      if (rsa === null) return fail(set, where + ': ' + RsaPublicKey.lastError);
      key.alg = ALG_RS256;
      key.rsa = rsa;
    } else if (kty == 'oct') {
      if (alg.length > 0 && alg != ALG_HS256) {
        set.skipped++;
        continue;
      }
      const k = base64UrlDecode(jwk.getString('k'));
      // RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
      if (k === null) return fail(set, where + '.k: expected the base64url key');
      if (k.length < 32) return fail(set, where + '.k: HS256 keys must be at least 32 bytes, got ' + k.length.toString());
      key.alg = ALG_HS256;
      key.hmac = new HmacSha256Key(k);
    } else {
      set.skipped++;
      continue;
    }
    set.keys.push(key);
  }
  if (set.keys.length == 0) return fail(set, 'jwks: no RS256 (kty RSA) or HS256 (kty oct) signing key');
  return set;
}
