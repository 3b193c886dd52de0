// JWS compact serialization (RFC 7515 §7.1) restricted to what the plugin accepts: three
// base64url segments, a JSON header whose `alg` is HS256 or RS256, a JSON object payload.
import { Json, JsonValue } from '@remora/sdk/assembly/json';
import { base64UrlDecodeRange } from '../crypto/base64url';
import { Sha256 } from '../crypto/sha256';
import { constantTimeEqual } from '../crypto/hmac';
import { ALG_HS256, ALG_RS256, KeySet, VerificationKey } from './jwks';

export class Jwt {
  header: JsonValue;
  payload: JsonValue;
  alg: string;
  kid: string;
  /** The signing input is token[0, signingInputEnd): "header.payload". */
  signingInputEnd: i32;
  signature: Uint8Array;

  /** Set by parseJwt when it returns null: why the token is malformed. */
  static lastError: string = '';

  constructor(header: JsonValue, payload: JsonValue, alg: string, kid: string, end: i32, signature: Uint8Array) {
    this.header = header;
    this.payload = payload;
    this.alg = alg;
    this.kid = kid;
    this.signingInputEnd = end;
    this.signature = signature;
  }
}


function decodeJsonSegment(token: string, start: i32, end: i32): JsonValue | null {
  const bytes = base64UrlDecodeRange(token, start, end);
  if (bytes === null) return null;
  const json = Json.parse(String.UTF8.decode(bytes.buffer));
  if (json === null || !json.isObject) return null;
  return json;
}

/** Splits and decodes a token; null (reason in `Jwt.lastError`) when it is not a well-formed HS256/RS256 JWS. */
export function parseJwt(token: string): Jwt | null {
  const dot1 = token.indexOf('.');
  const dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
  if (dot1 <= 0 || dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0) {
    Jwt.lastError = 'token is not three dot-separated parts';
    return null;
  }
  const header = decodeJsonSegment(token, 0, dot1);
  if (header === null) {
    Jwt.lastError = 'token header is not base64url JSON';
    return null;
  }
  const algValue = header.get('alg');
  const alg = algValue === null ? '' : algValue.asString('');
  // Only the two algorithms with configured keys; "none" and everything else are refused here.
  if (alg != ALG_HS256 && alg != ALG_RS256) {
    Jwt.lastError = 'token algorithm "' + alg + '" is not accepted';
    return null;
  }
  // Critical extensions we do not understand make the token unusable (RFC 7515 §4.1.11).
  if (header.has('crit')) {
    Jwt.lastError = 'token has critical header parameters';
    return null;
  }
  const payload = decodeJsonSegment(token, dot1 + 1, dot2);
  if (payload === null) {
    Jwt.lastError = 'token payload is not a base64url JSON object';
    return null;
  }
  const signature = base64UrlDecodeRange(token, dot2 + 1, token.length);
  if (signature === null || signature.length == 0) {
    Jwt.lastError = 'token signature is not base64url';
    return null;
  }
  return new Jwt(header, payload, alg, header.getString('kid'), dot2, signature);
}

// Reused digest scratch: verification runs one at a time inside a VM.
const digest = new StaticArray<u8>(32);
const hasher = new Sha256();

function signingInput(token: string, end: i32): ArrayBuffer {
  // The token was checked to be base64url text, so UTF-8 encoding is a plain ASCII copy.
  return String.UTF8.encode(token.substring(0, end), false);
}

function verifyWith(key: VerificationKey, jwt: Jwt, input: ArrayBuffer): bool {
  if (key.alg != jwt.alg) return false;
  const mac = key.hmac;
  if (mac !== null) {
    if (jwt.signature.length != 32) return false;
    mac.macInto(changetype<usize>(input), input.byteLength, changetype<usize>(digest));
    return constantTimeEqual(changetype<usize>(digest), jwt.signature.dataStart, 32);
  }
  const rsa = key.rsa;
  if (rsa !== null) {
    hasher.reset().updatePtr(changetype<usize>(input), input.byteLength).digestInto(changetype<usize>(digest));
    return rsa.verifySha256(changetype<usize>(digest), jwt.signature);
  }
  return false;
}

/**
 * Checks the signature with the key the token names (`kid`), or, without a `kid`, with any key of
 * the token's algorithm. A key only ever verifies its own algorithm, so an RSA public key can never
 * be abused as an HMAC secret.
 */
export function verifyJwtSignature(token: string, jwt: Jwt, keys: KeySet): bool {
  const input = signingInput(token, jwt.signingInputEnd);
  for (let i = 0; i < keys.keys.length; i++) {
    const key = keys.keys[i];
    if (jwt.kid.length > 0 && key.kid != jwt.kid) continue;
    if (verifyWith(key, jwt, input)) return true;
  }
  return false;
}
