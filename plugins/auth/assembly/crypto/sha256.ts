// SHA-256 (FIPS 180-4). Incremental so HMAC can hash key pads and message without
// concatenating them; state and block buffer are reused, so hashing allocates only the digest.

// @ts-ignore: decorator
@lazy const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

export const SHA256_DIGEST_BYTES: i32 = 32;
export const SHA256_BLOCK_BYTES: i32 = 64;

/** Incremental SHA-256: reset(), update()* , digestInto()/digest(). */
export class Sha256 {
  private h: StaticArray<u32> = new StaticArray<u32>(8);
  private w: StaticArray<u32> = new StaticArray<u32>(64);
  private block: StaticArray<u8> = new StaticArray<u8>(64);
  private blockLen: i32 = 0;
  private totalLen: u64 = 0;

  constructor() {
    this.reset();
  }

  reset(): Sha256 {
    const h = this.h;
    unchecked((h[0] = 0x6a09e667));
    unchecked((h[1] = 0xbb67ae85));
    unchecked((h[2] = 0x3c6ef372));
    unchecked((h[3] = 0xa54ff53a));
    unchecked((h[4] = 0x510e527f));
    unchecked((h[5] = 0x9b05688c));
    unchecked((h[6] = 0x1f83d9ab));
    unchecked((h[7] = 0x5be0cd19));
    this.blockLen = 0;
    this.totalLen = 0;
    return this;
  }

  /** Hashes `len` bytes starting at linear-memory address `ptr`. */
  updatePtr(ptr: usize, len: i32): Sha256 {
    this.totalLen += <u64>len;
    const block = changetype<usize>(this.block);
    let i = 0;
    if (this.blockLen > 0) {
      const take = min(64 - this.blockLen, len);
      memory.copy(block + <usize>this.blockLen, ptr, <usize>take);
      this.blockLen += take;
      i = take;
      if (this.blockLen < 64) return this;
      this.compress(block);
      this.blockLen = 0;
    }
    while (len - i >= 64) {
      this.compress(ptr + <usize>i);
      i += 64;
    }
    if (i < len) {
      memory.copy(block, ptr + <usize>i, <usize>(len - i));
      this.blockLen = len - i;
    }
    return this;
  }

  update(data: Uint8Array): Sha256 {
    return this.updatePtr(data.dataStart, data.length);
  }

  updateString(s: string): Sha256 {
    // ASCII fast path is what JWT signing input is; UTF-8 encode anything else.
    const buf = String.UTF8.encode(s, false);
    return this.updatePtr(changetype<usize>(buf), buf.byteLength);
  }

  /** Finishes the hash and writes the 32-byte digest at `out`. The hasher must be reset before reuse. */
  digestInto(out: usize): void {
    const block = changetype<usize>(this.block);
    const bitLen = this.totalLen << 3;
    store<u8>(block + <usize>this.blockLen, 0x80);
    this.blockLen++;
    if (this.blockLen > 56) {
      memory.fill(block + <usize>this.blockLen, 0, <usize>(64 - this.blockLen));
      this.compress(block);
      this.blockLen = 0;
    }
    memory.fill(block + <usize>this.blockLen, 0, <usize>(56 - this.blockLen));
    store<u64>(block + 56, bswap<u64>(bitLen));
    this.compress(block);
    const h = changetype<usize>(this.h);
    for (let j = 0; j < 8; j++) {
      store<u32>(out + (<usize>j << 2), bswap<u32>(load<u32>(h + (<usize>j << 2))));
    }
  }

  digest(): Uint8Array {
    const out = new Uint8Array(32);
    this.digestInto(out.dataStart);
    return out;
  }

  private compress(p: usize): void {
    const w = changetype<usize>(this.w);
    for (let t = 0; t < 16; t++) {
      store<u32>(w + (<usize>t << 2), bswap<u32>(load<u32>(p + (<usize>t << 2))));
    }
    for (let t = 16; t < 64; t++) {
      const w15 = load<u32>(w + (<usize>(t - 15) << 2));
      const w2 = load<u32>(w + (<usize>(t - 2) << 2));
      const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
      store<u32>(
        w + (<usize>t << 2),
        load<u32>(w + (<usize>(t - 16) << 2)) + s0 + load<u32>(w + (<usize>(t - 7) << 2)) + s1,
      );
    }
    const h = this.h;
    let a = unchecked(h[0]);
    let b = unchecked(h[1]);
    let c = unchecked(h[2]);
    let d = unchecked(h[3]);
    let e = unchecked(h[4]);
    let f = unchecked(h[5]);
    let g = unchecked(h[6]);
    let hh = unchecked(h[7]);
    const k = changetype<usize>(K);
    for (let t = 0; t < 64; t++) {
      const S1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = hh + S1 + ch + load<u32>(k + (<usize>t << 2)) + load<u32>(w + (<usize>t << 2));
      const S0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = S0 + maj;
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    unchecked((h[0] += a));
    unchecked((h[1] += b));
    unchecked((h[2] += c));
    unchecked((h[3] += d));
    unchecked((h[4] += e));
    unchecked((h[5] += f));
    unchecked((h[6] += g));
    unchecked((h[7] += hh));
  }
}

/** One-shot SHA-256 of a byte array. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Sha256().update(data).digest();
}
