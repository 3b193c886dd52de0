// HMAC-SHA256 (RFC 2104) with the key pads precomputed once per key, so verifying a token
// costs two SHA-256 passes over the message plus two blocks, and no key re-processing.
import { Sha256 } from './sha256';

export class HmacSha256Key {
  /** key ^ 0x36 and key ^ 0x5c, one SHA-256 block each. */
  private ipad: StaticArray<u8> = new StaticArray<u8>(64);
  private opad: StaticArray<u8> = new StaticArray<u8>(64);
  private hasher: Sha256 = new Sha256();
  private inner: StaticArray<u8> = new StaticArray<u8>(32);

  constructor(key: Uint8Array) {
    let k = key;
    // Keys longer than a block are replaced by their digest (RFC 2104 §2).
    if (k.length > 64) k = new Sha256().update(key).digest();
    const ipad = changetype<usize>(this.ipad);
    const opad = changetype<usize>(this.opad);
    memory.fill(ipad, 0x36, 64);
    memory.fill(opad, 0x5c, 64);
    for (let i = 0; i < k.length; i++) {
      const b = unchecked(k[i]);
      store<u8>(ipad + <usize>i, b ^ 0x36);
      store<u8>(opad + <usize>i, b ^ 0x5c);
    }
  }

  /** Writes HMAC(key, message at ptr/len) as 32 bytes at `out`. */
  macInto(ptr: usize, len: i32, out: usize): void {
    const h = this.hasher;
    const inner = changetype<usize>(this.inner);
    h.reset().updatePtr(changetype<usize>(this.ipad), 64).updatePtr(ptr, len).digestInto(inner);
    h.reset().updatePtr(changetype<usize>(this.opad), 64).updatePtr(inner, 32).digestInto(out);
  }

  mac(message: Uint8Array): Uint8Array {
    const out = new Uint8Array(32);
    this.macInto(message.dataStart, message.length, out.dataStart);
    return out;
  }
}

/** Compares two byte ranges in time independent of where they differ. */
export function constantTimeEqual(a: usize, b: usize, len: i32): bool {
  let diff: u32 = 0;
  for (let i = 0; i < len; i++) {
    diff |= <u32>(load<u8>(a + <usize>i) ^ load<u8>(b + <usize>i));
  }
  return diff == 0;
}
