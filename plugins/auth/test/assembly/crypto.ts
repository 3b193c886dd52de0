// Test entry: exposes the auth plugin's pure crypto modules to node:test through the loader.
// Byte strings cross as ArrayBuffers; a null result crosses as pointer 0.
import { sha256, Sha256 } from '../../assembly/crypto/sha256';
import { HmacSha256Key } from '../../assembly/crypto/hmac';
import { base64UrlDecode } from '../../assembly/crypto/base64url';
import { RsaPublicKey } from '../../assembly/crypto/rsa';

function bytes(buf: ArrayBuffer): Uint8Array {
  return Uint8Array.wrap(buf);
}

export function sha256Of(data: ArrayBuffer): ArrayBuffer {
  return sha256(bytes(data)).buffer;
}

/** Hashes `data` fed in chunks of `chunk` bytes, to exercise block-boundary buffering. */
export function sha256Chunked(data: ArrayBuffer, chunk: i32): ArrayBuffer {
  const h = new Sha256();
  const b = bytes(data);
  for (let i = 0; i < b.length; i += chunk) h.update(b.subarray(i, min(b.length, i + chunk)));
  return h.digest().buffer;
}

export function hmacSha256(key: ArrayBuffer, data: ArrayBuffer): ArrayBuffer {
  return new HmacSha256Key(bytes(key)).mac(bytes(data)).buffer;
}

export function base64UrlDecodeOrNull(s: string): ArrayBuffer | null {
  const r = base64UrlDecode(s);
  return r == null ? null : r.buffer;
}

/** Empty string when the key loads, else the reason. */
export function rsaKeyError(n: ArrayBuffer, e: ArrayBuffer): string {
  const k = RsaPublicKey.fromBytes(bytes(n), bytes(e));
  return k == null ? RsaPublicKey.lastError : '';
}

export function rsaVerifySha256(n: ArrayBuffer, e: ArrayBuffer, message: ArrayBuffer, signature: ArrayBuffer): bool {
  const k = RsaPublicKey.fromBytes(bytes(n), bytes(e));
  if (k == null) return false;
  const digest = sha256(bytes(message));
  return k.verifySha256(digest.dataStart, bytes(signature));
}

/** One key kept across calls: verifications reuse its scratch space, as the plugin does. */
let loadedKey: RsaPublicKey | null = null;

export function rsaLoadKey(n: ArrayBuffer, e: ArrayBuffer): bool {
  loadedKey = RsaPublicKey.fromBytes(bytes(n), bytes(e));
  return loadedKey != null;
}

export function rsaVerifyWithLoadedKey(message: ArrayBuffer, signature: ArrayBuffer): bool {
  const digest = sha256(bytes(message));
  return loadedKey!.verifySha256(digest.dataStart, bytes(signature));
}
