// Modular arithmetic for RSA verification: numbers are little-endian arrays of 32-bit limbs,
// products are formed in u64 (no 64x64 multiply in Wasm). Montgomery multiplication
// (CIOS with the reduction folded into the multiply loop) avoids division entirely; the
// per-modulus constants (-n^-1 mod 2^32 and R^2 mod n) are computed once, when the key is loaded.

/** A fixed odd modulus with its Montgomery constants and scratch space. Not re-entrant. */
export class MontgomeryModulus {
  /** Number of 32-bit limbs. */
  readonly limbs: i32;
  /** Modulus limbs, little-endian. */
  readonly n: StaticArray<u32>;
  /** -n^-1 mod 2^32. */
  private n0inv: u32;
  /** R^2 mod n with R = 2^(32 * limbs): multiplying by it enters Montgomery form. */
  private rr: StaticArray<u32>;
  /** limbs + 1 words for the running product. */
  private t: StaticArray<u32>;
  private x: StaticArray<u32>;
  private acc: StaticArray<u32>;

  /** `n` must be odd and its top limb non-zero. */
  constructor(n: StaticArray<u32>) {
    const s = n.length;
    this.limbs = s;
    this.n = n;
    this.t = new StaticArray<u32>(s + 1);
    this.x = new StaticArray<u32>(s);
    this.acc = new StaticArray<u32>(s);
    // Newton iteration: each step doubles the number of correct low bits of n0^-1 (1 -> 32 in 5 steps).
    const n0 = unchecked(n[0]);
    let inv: u32 = 1;
    for (let i = 0; i < 5; i++) inv = inv * (2 - n0 * inv);
    this.n0inv = 0 - inv;
    this.rr = new StaticArray<u32>(s);
    this.computeRR();
  }

  /** R^2 mod n by doubling 1 modulo n, 2 * 32 * limbs times. Runs once per key. */
  private computeRR(): void {
    const s = this.limbs;
    const r = changetype<usize>(this.rr);
    memory.fill(r, 0, <usize>s << 2);
    store<u32>(r, 1);
    const steps = 64 * s;
    for (let k = 0; k < steps; k++) {
      // r = 2r; subtract n when it overflowed or is >= n. r < n holds before, so 2r < 2n.
      let carry: u32 = 0;
      for (let j = 0; j < s; j++) {
        const p = r + (<usize>j << 2);
        const v = load<u32>(p);
        store<u32>(p, (v << 1) | carry);
        carry = v >>> 31;
      }
      if (carry != 0 || !this.lessThanN(r)) this.subtractN(r);
    }
  }

  /** a < n, comparing from the top limb. */
  private lessThanN(a: usize): bool {
    const n = changetype<usize>(this.n);
    for (let j = this.limbs - 1; j >= 0; j--) {
      const x = load<u32>(a + (<usize>j << 2));
      const y = load<u32>(n + (<usize>j << 2));
      if (x != y) return x < y;
    }
    return false;
  }

  /** a -= n over `limbs` words (wrapping; callers guarantee the true result is in [0, n)). */
  private subtractN(a: usize): void {
    const n = changetype<usize>(this.n);
    let borrow: i64 = 0;
    for (let j = 0; j < this.limbs; j++) {
      const p = a + (<usize>j << 2);
      const d = <i64>load<u32>(p) - <i64>load<u32>(n + (<usize>j << 2)) + borrow;
      store<u32>(p, <u32>d);
      borrow = d >> 32; // 0 or -1
    }
  }

  /** Whether the value at `a` (limbs words) is below the modulus. */
  isReduced(a: StaticArray<u32>): bool {
    return this.lessThanN(changetype<usize>(a));
  }

  /** out = a * b * R^-1 mod n. `out` may alias `a` or `b`. */
  montMul(a: usize, b: usize, out: usize): void {
    const s = this.limbs;
    const n = changetype<usize>(this.n);
    const t = changetype<usize>(this.t);
    const n0inv = <u64>this.n0inv;
    memory.fill(t, 0, (<usize>s + 1) << 2);
    const a0 = <u64>load<u32>(a);
    const nn0 = <u64>load<u32>(n);
    for (let i = 0; i < s; i++) {
      const bi = <u64>load<u32>(b + (<usize>i << 2));
      // Column 0 decides m so that adding m*n clears the lowest word.
      let x: u64 = <u64>load<u32>(t) + a0 * bi;
      let c1: u64 = x >> 32;
      const m = <u64>(<u32>x * <u32>n0inv);
      let y: u64 = (x & 0xffffffff) + m * nn0;
      let c2: u64 = y >> 32;
      for (let j = 1; j < s; j++) {
        const off = <usize>j << 2;
        x = <u64>load<u32>(t + off) + <u64>load<u32>(a + off) * bi + c1;
        c1 = x >> 32;
        y = (x & 0xffffffff) + m * <u64>load<u32>(n + off) + c2;
        c2 = y >> 32;
        store<u32>(t + off - 4, <u32>y);
      }
      const top = <u64>load<u32>(t + (<usize>s << 2)) + c1 + c2;
      store<u32>(t + ((<usize>s - 1) << 2), <u32>top);
      store<u32>(t + (<usize>s << 2), <u32>(top >> 32));
    }
    // t < 2n here; one conditional subtraction brings it into [0, n).
    if (load<u32>(t + (<usize>s << 2)) != 0 || !this.lessThanN(t)) this.subtractN(t);
    memory.copy(out, t, <usize>s << 2);
  }

  /**
   * base^e mod n for an odd exponent `e` >= 3, result written to `out` (limbs words). `base`
   * must already be reduced (< n). Left-to-right square-and-multiply in Montgomery form; the
   * final multiply by the plain base leaves Montgomery form at no extra cost.
   */
  modExpOdd(base: StaticArray<u32>, e: u32, out: StaticArray<u32>): void {
    const b = changetype<usize>(base);
    const x = changetype<usize>(this.x);
    const acc = changetype<usize>(this.acc);
    const bytes = <usize>this.limbs << 2;
    this.montMul(b, changetype<usize>(this.rr), x); // x = base * R mod n
    memory.copy(acc, x, bytes);
    const top = 31 - <i32>clz<u32>(e);
    for (let bit = top - 1; bit >= 1; bit--) {
      this.montMul(acc, acc, acc);
      if (((e >>> <u32>bit) & 1) != 0) this.montMul(acc, x, acc);
    }
    // Lowest bit (set, e is odd): square, then multiply by base * 1 to drop the R factor.
    this.montMul(acc, acc, acc);
    this.montMul(acc, b, changetype<usize>(out));
  }
}

/** Big-endian bytes -> little-endian limbs of the given count; null when the value does not fit. */
export function limbsFromBytes(bytes: Uint8Array, limbs: i32): StaticArray<u32> | null {
  const len = bytes.length;
  if (len > limbs * 4) return null;
  const out = new StaticArray<u32>(limbs);
  for (let i = 0; i < len; i++) {
    const pos = len - 1 - i; // byte significance i
    const w = i >> 2;
    unchecked((out[w] = out[w] | (<u32>unchecked(bytes[pos]) << (<u32>(i & 3) << 3))));
  }
  return out;
}

/** Little-endian limbs -> big-endian bytes of exactly `len` (the high bytes beyond it are dropped). */
export function bytesFromLimbs(limbs: StaticArray<u32>, len: i32, out: Uint8Array): void {
  for (let i = 0; i < len; i++) {
    const w = i >> 2;
    const b = <u8>(unchecked(limbs[w]) >>> (<u32>(i & 3) << 3));
    unchecked((out[len - 1 - i] = b));
  }
}
