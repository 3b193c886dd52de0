// Modular arithmetic for RSA verification. Numbers are little-endian arrays of 27-bit limbs (one per
// u32). Products of two limbs take 54 bits, so a column of up to ~300 of them fits a u64 without
// carry handling: multiplication is product scanning with the Montgomery reduction folded into the
// same columns (FIPS), each product costing two loads, a multiply and an add. Wasm has no 64x64
// multiply or add-with-carry, so this beats 32-bit limbs with explicit carries.
//
// R = 2^(27 * limbs) is chosen with R > 4n, which keeps every intermediate result below 2n without
// conditional subtractions (Walter); only the final result is brought into [0, n).

export const LIMB_BITS: i32 = 27;
const MASK: u64 = (1 << 27) - 1;

/** Number of limbs for a modulus of `bits` bits (R > 4n). */
export function limbsFor(bits: i32): i32 {
  return (bits + 2 + LIMB_BITS - 1) / LIMB_BITS;
}

/** Big-endian bytes -> `limbs` 27-bit limbs; null when the value does not fit. */
export function limbsFromBytes(bytes: Uint8Array, limbs: i32): StaticArray<u32> | null {
  const out = new StaticArray<u32>(limbs);
  let acc: u64 = 0;
  let bits = 0;
  let w = 0;
  for (let i = bytes.length - 1; i >= 0; i--) {
    acc |= <u64>unchecked(bytes[i]) << <u64>bits;
    bits += 8;
    if (bits >= LIMB_BITS) {
      if (w == limbs) return null;
      unchecked((out[w++] = <u32>(acc & MASK)));
      acc >>= <u64>LIMB_BITS;
      bits -= LIMB_BITS;
    }
  }
  if (acc != 0) {
    if (w == limbs) return null;
    unchecked((out[w++] = <u32>acc));
  }
  return out;
}

/** Limbs -> big-endian bytes, exactly `len` of them (the caller knows the value fits). */
export function bytesFromLimbs(limbs: StaticArray<u32>, len: i32, out: Uint8Array): void {
  let acc: u64 = 0;
  let bits = 0;
  let w = 0;
  for (let i = len - 1; i >= 0; i--) {
    while (bits < 8 && w < limbs.length) {
      acc |= <u64>unchecked(limbs[w++]) << <u64>bits;
      bits += LIMB_BITS;
    }
    unchecked((out[i] = <u8>acc));
    acc >>= 8;
    bits -= 8;
  }
}

/**
 * Sum of `count` products x[i] * y[-i] (x ascending from `x`, y descending from `y`). Four products
 * per iteration with Wasm SIMD: a 4-lane load of each side (y's lanes reversed) and two 32x32->64
 * extended multiplies into two 64-bit accumulator lanes.
 */
// @ts-ignore: decorator
@inline function dot(x: usize, y: usize, count: i32): u64 {
  let acc = i64x2.splat(0);
  let q = y - 12; // q .. q + 15 holds y[-3], y[-2], y[-1], y[0]
  let i = count;
  while (i >= 4) {
    const xv = v128.load(x);
    const yv = i32x4.shuffle(v128.load(q), v128.load(q), 3, 2, 1, 0);
    acc = i64x2.add(acc, i64x2.add(i64x2.extmul_low_i32x4_u(xv, yv), i64x2.extmul_high_i32x4_u(xv, yv)));
    x += 16;
    q -= 16;
    i -= 4;
  }
  let sum = <u64>i64x2.extract_lane(acc, 0) + <u64>i64x2.extract_lane(acc, 1);
  q += 12;
  while (i > 0) {
    sum += <u64>load<u32>(x) * <u64>load<u32>(q);
    x += 4;
    q -= 4;
    i--;
  }
  return sum;
}

/** A fixed odd modulus with its Montgomery constants and scratch space. Not re-entrant. */
export class MontgomeryModulus {
  readonly limbs: i32;
  readonly n: StaticArray<u32>;
  /** -n^-1 mod 2^27. */
  private n0inv: u64;
  /** R^2 mod n: multiplying by it enters Montgomery form. */
  private rr: StaticArray<u32>;
  /** Reduction multipliers of the running multiplication, one per limb. */
  private m: StaticArray<u32>;
  private t: StaticArray<u32>;
  private x: StaticArray<u32>;
  private acc: StaticArray<u32>;

  /** `n` (from limbsFromBytes with limbsFor(bits)) must be odd. */
  constructor(n: StaticArray<u32>) {
    const s = n.length;
    this.limbs = s;
    this.n = n;
    this.m = new StaticArray<u32>(s);
    this.t = new StaticArray<u32>(s);
    this.x = new StaticArray<u32>(s);
    this.acc = new StaticArray<u32>(s);
    // Newton iteration: each step doubles the correct low bits of n0^-1 (1 -> 32 in 5 steps).
    const n0 = unchecked(n[0]);
    let inv: u32 = 1;
    for (let i = 0; i < 5; i++) inv = inv * (2 - n0 * inv);
    this.n0inv = <u64>(0 - inv) & MASK;
    this.rr = new StaticArray<u32>(s);
    this.computeRR();
  }

  /** R^2 mod n by doubling 1 modulo n, 2 * 27 * limbs times. Runs once per key. */
  private computeRR(): void {
    const s = this.limbs;
    const r = changetype<usize>(this.rr);
    memory.fill(r, 0, <usize>s << 2);
    store<u32>(r, 1);
    const steps = 2 * LIMB_BITS * s;
    for (let k = 0; k < steps; k++) {
      let carry: u32 = 0;
      for (let j = 0; j < s; j++) {
        const p = r + (<usize>j << 2);
        const v = (load<u32>(p) << 1) | carry;
        store<u32>(p, v & <u32>MASK);
        carry = v >>> 27;
      }
      if (!this.lessThanN(r)) this.subtractN(r);
    }
  }

  /** a < n for normalised limbs, comparing from the top. */
  private lessThanN(a: usize): bool {
    const n = changetype<usize>(this.n);
    for (let j = this.limbs - 1; j >= 0; j--) {
      const x = load<u32>(a + (<usize>j << 2));
      const y = load<u32>(n + (<usize>j << 2));
      if (x != y) return x < y;
    }
    return false;
  }

  /** a -= n (a >= n). */
  private subtractN(a: usize): void {
    const n = changetype<usize>(this.n);
    let borrow: i32 = 0;
    for (let j = 0; j < this.limbs; j++) {
      const p = a + (<usize>j << 2);
      let d = <i32>load<u32>(p) - <i32>load<u32>(n + (<usize>j << 2)) - borrow;
      borrow = 0;
      if (d < 0) {
        d += 1 << 27;
        borrow = 1;
      }
      store<u32>(p, <u32>d);
    }
  }

  /** Whether `a` is below the modulus. */
  isReduced(a: StaticArray<u32>): bool {
    return this.lessThanN(changetype<usize>(a));
  }

  /** out = a * b / R mod n, with a, b < 2n giving out < 2n. `out` may alias `a` or `b`. */
  montMul(a: usize, b: usize, out: usize): void {
    const s = this.limbs;
    const n = changetype<usize>(this.n);
    const m = changetype<usize>(this.m);
    const t = changetype<usize>(this.t);
    const n0inv = this.n0inv;
    const n0 = <u64>load<u32>(n);
    let acc: u64 = 0;
    // Columns 0..s-1: each decides m[k] so that the column's low 27 bits vanish.
    for (let k = 0; k < s; k++) {
      const off = <usize>k << 2;
      acc += dot(a, b + off, k + 1) + dot(m, n + off, k);
      const mk = ((acc & MASK) * n0inv) & MASK;
      store<u32>(m + (<usize>k << 2), <u32>mk);
      acc = (acc + mk * n0) >> 27;
    }
    // Columns s..2s-2 are the result's limbs.
    const top = <usize>(s - 1) << 2;
    for (let k = s; k < 2 * s - 1; k++) {
      const i0 = <usize>(k - s + 1) << 2;
      const count = 2 * s - 1 - k;
      acc += dot(a + i0, b + top, count) + dot(m + i0, n + top, count);
      store<u32>(t + (<usize>(k - s) << 2), <u32>(acc & MASK));
      acc >>= 27;
    }
    store<u32>(t + (<usize>(s - 1) << 2), <u32>acc);
    memory.copy(out, t, <usize>s << 2);
  }

  /** out = a^2 / R mod n: montMul with each cross product computed once and doubled. */
  montSqr(a: usize, out: usize): void {
    const s = this.limbs;
    const n = changetype<usize>(this.n);
    const m = changetype<usize>(this.m);
    const t = changetype<usize>(this.t);
    const n0inv = this.n0inv;
    const n0 = <u64>load<u32>(n);
    let acc: u64 = 0;
    for (let k = 0; k < s; k++) {
      // Pairs (i, k - i) with i < k - i, doubled, plus the square of the middle limb.
      acc += dot(a, a + (<usize>k << 2), (k + 1) >> 1) << 1;
      if ((k & 1) == 0) {
        const v = <u64>load<u32>(a + (<usize>(k >> 1) << 2));
        acc += v * v;
      }
      acc += dot(m, n + (<usize>k << 2), k);
      const mk = ((acc & MASK) * n0inv) & MASK;
      store<u32>(m + (<usize>k << 2), <u32>mk);
      acc = (acc + mk * n0) >> 27;
    }
    for (let k = s; k < 2 * s - 1; k++) {
      const i0 = <usize>(k - s + 1) << 2;
      const top = <usize>(s - 1) << 2;
      const count = 2 * s - 1 - k;
      acc += dot(a + i0, a + top, count >> 1) << 1;
      if ((k & 1) == 0) {
        const v = <u64>load<u32>(a + (<usize>(k >> 1) << 2));
        acc += v * v;
      }
      acc += dot(m + i0, n + top, count);
      store<u32>(t + (<usize>(k - s) << 2), <u32>(acc & MASK));
      acc >>= 27;
    }
    store<u32>(t + (<usize>(s - 1) << 2), <u32>acc);
    memory.copy(out, t, <usize>s << 2);
  }

  /**
   * base^e mod n for an odd exponent `e` >= 3, written to `out`. `base` must be below n.
   * Left-to-right square-and-multiply in Montgomery form; the last multiply is by the plain base,
   * which leaves Montgomery form at no extra cost.
   */
  modExpOdd(base: StaticArray<u32>, e: u32, out: StaticArray<u32>): void {
    const b = changetype<usize>(base);
    const x = changetype<usize>(this.x);
    const acc = changetype<usize>(this.acc);
    this.montMul(b, changetype<usize>(this.rr), x); // x = base * R mod n (< 2n)
    memory.copy(acc, x, <usize>this.limbs << 2);
    const top = 31 - <i32>clz<u32>(e);
    for (let bit = top - 1; bit >= 1; bit--) {
      this.montSqr(acc, acc);
      if (((e >>> <u32>bit) & 1) != 0) this.montMul(acc, x, acc);
    }
    this.montSqr(acc, acc);
    const o = changetype<usize>(out);
    this.montMul(acc, b, o);
    if (!this.lessThanN(o)) this.subtractN(o);
  }
}
