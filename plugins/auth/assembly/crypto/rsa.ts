// RSASSA-PKCS1-v1_5 signature verification with SHA-256 (RFC 8017 §8.2.2, JWS "RS256").
// The encoded message is rebuilt and compared byte for byte rather than parsed, which rules out
// the classic lenient-ASN.1 and garbage-after-digest forgeries.
import { MontgomeryModulus, limbsFromBytes, bytesFromLimbs, limbsFor } from './montgomery';

/** DER of DigestInfo{ sha256, NULL } followed by the 32 digest bytes (RFC 8017 §9.2 note 1). */
// @ts-ignore: decorator
@lazy const SHA256_DIGEST_INFO: StaticArray<u8> = [
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
];

/** RFC 7518 §3.3: RS256 keys must be at least 2048 bits. */
export const RSA_MIN_BITS: i32 = 2048;
/** Upper bound keeps a hostile JWKS from making every verification arbitrarily slow. */
export const RSA_MAX_BITS: i32 = 4096;

export class RsaPublicKey {
  /** Modulus length in bytes (k in RFC 8017). */
  readonly k: i32;
  readonly e: u32;
  private mod: MontgomeryModulus;
  private m: StaticArray<u32>;
  private em: Uint8Array;

  private constructor(k: i32, e: u32, mod: MontgomeryModulus) {
    this.k = k;
    this.e = e;
    this.mod = mod;
    this.m = new StaticArray<u32>(mod.limbs);
    this.em = new Uint8Array(k);
  }

  /**
   * Builds a key from the big-endian modulus and exponent (JWK `n`, `e`). Returns null with the
   * reason in `RsaPublicKey.lastError` when the key is unusable: even or out-of-range modulus,
   * exponent even, below 3 or wider than 32 bits.
   */
  static fromBytes(nBytes: Uint8Array, eBytes: Uint8Array): RsaPublicKey | null {
    let start = 0;
    while (start < nBytes.length && unchecked(nBytes[start]) == 0) start++;
    const k = nBytes.length - start;
    if (k == 0) {
      RsaPublicKey.lastError = 'modulus is zero';
      return null;
    }
    const bits = k * 8 - <i32>clz<u32>(<u32>unchecked(nBytes[start])) + 24;
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
      RsaPublicKey.lastError = 'modulus must be 2048 to 4096 bits, got ' + bits.toString();
      return null;
    }
    if ((unchecked(nBytes[nBytes.length - 1]) & 1) == 0) {
      RsaPublicKey.lastError = 'modulus is even';
      return null;
    }
    let eStart = 0;
    while (eStart < eBytes.length && unchecked(eBytes[eStart]) == 0) eStart++;
    if (eBytes.length - eStart > 4) {
      RsaPublicKey.lastError = 'exponent wider than 32 bits';
      return null;
    }
    let e: u32 = 0;
    for (let i = eStart; i < eBytes.length; i++) e = (e << 8) | <u32>unchecked(eBytes[i]);
    if (e < 3 || (e & 1) == 0) {
      RsaPublicKey.lastError = 'exponent must be odd and at least 3';
      return null;
    }
    const n = limbsFromBytes(nBytes.subarray(start), limbsFor(bits))!;
    return new RsaPublicKey(k, e, new MontgomeryModulus(n));
  }

  static lastError: string = '';

  /** Verifies `signature` over a message whose SHA-256 digest is the 32 bytes at `digest`. */
  verifySha256(digest: usize, signature: Uint8Array): bool {
    const k = this.k;
    // RFC 8017 §8.2.2 step 1: the signature is exactly k octets.
    if (signature.length != k) return false;
    const sig = limbsFromBytes(signature, this.mod.limbs);
    // RSAVP1 step 1: the representative must be below n.
    if (sig === null || !this.mod.isReduced(sig)) return false;
    this.mod.modExpOdd(sig, this.e, this.m);
    const em = this.em;
    bytesFromLimbs(this.m, k, em);
    // EM = 0x00 || 0x01 || PS (0xff...) || 0x00 || DigestInfo || H, with |PS| = k - 3 - 51 >= 8.
    const tLen = 19 + 32;
    const psLen = k - 3 - tLen;
    if (psLen < 8) return false;
    let diff: u32 = <u32>unchecked(em[0]) | (<u32>unchecked(em[1]) ^ 1);
    for (let i = 0; i < psLen; i++) diff |= <u32>unchecked(em[2 + i]) ^ 0xff;
    diff |= <u32>unchecked(em[2 + psLen]);
    const info = changetype<usize>(SHA256_DIGEST_INFO);
    const p = 3 + psLen;
    for (let i = 0; i < 19; i++) diff |= <u32>(unchecked(em[p + i]) ^ load<u8>(info + <usize>i));
    for (let i = 0; i < 32; i++) diff |= <u32>(unchecked(em[p + 19 + i]) ^ load<u8>(digest + <usize>i));
    return diff == 0;
  }
}
