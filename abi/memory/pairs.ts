// Header-map pair serialization (reference §4.1):
//   u32 N | N × (u32 key_len, u32 value_len) | for each pair: key 00 value 00     (little-endian)
// Parsing mirrors cpp-host: anything malformed, over 1024 pairs or over 1 MiB reads as an empty map.

import type { HeaderPairs } from '../types.ts';

export const MAX_PAIRS = 1024;
export const MAX_PAIRS_BYTES = 1024 * 1024;

/** Encoding of keys and values; header maps use latin1 (raw bytes), properties utf8. */
export type PairEncoding = 'latin1' | 'utf8';

/** Serialized size of `pairs`. */
export function pairsSize(pairs: HeaderPairs, enc: PairEncoding): number {
  let size = 4 + pairs.length * 8;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    size += (enc === 'latin1' ? p[0].length + p[1].length : Buffer.byteLength(p[0]) + Buffer.byteLength(p[1])) + 2;
  }
  return size;
}

/** Writes `pairs` into `buf` at `at`; `size` must be `pairsSize(pairs, enc)`. */
export function writePairs(buf: Buffer, at: number, pairs: HeaderPairs, enc: PairEncoding): void {
  const n = pairs.length;
  buf.writeUInt32LE(n, at);
  let lens = at + 4;
  let data = at + 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const p = pairs[i]!;
    const k = buf.write(p[0], data, enc);
    buf[data + k] = 0;
    data += k + 1;
    const v = buf.write(p[1], data, enc);
    buf[data + v] = 0;
    data += v + 1;
    buf.writeUInt32LE(k, lens);
    buf.writeUInt32LE(v, lens + 4);
    lens += 8;
  }
}

/** Serializes pairs into a fresh buffer. */
export function serializePairs(pairs: HeaderPairs, enc: PairEncoding = 'latin1'): Buffer {
  const out = Buffer.allocUnsafe(pairsSize(pairs, enc));
  writePairs(out, 0, pairs, enc);
  return out;
}

/**
 * Parses `size` bytes at `at`. Returns an empty list for the forms cpp-host treats as empty
 * (size < 4, N = 0) and for malformed input. Names are returned as given; callers lower-case.
 */
export function parsePairs(buf: Uint8Array, at = 0, size = buf.length, enc: PairEncoding = 'latin1'): HeaderPairs {
  if (size < 4 || size > MAX_PAIRS_BYTES || at + size > buf.length) return [];
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = b.readUInt32LE(at);
  if (n === 0 || n > MAX_PAIRS) return [];
  const end = at + size;
  let lens = at + 4;
  let data = at + 4 + n * 8;
  if (data > end) return [];
  const out: HeaderPairs = new Array(n);
  for (let i = 0; i < n; i++) {
    const kl = b.readUInt32LE(lens);
    const vl = b.readUInt32LE(lens + 4);
    lens += 8;
    if (data + kl + 1 + vl + 1 > end) return [];
    if (b[data + kl] !== 0 || b[data + kl + 1 + vl] !== 0) return [];
    const k = b.toString(enc, data, data + kl);
    data += kl + 1;
    const v = b.toString(enc, data, data + vl);
    data += vl + 1;
    out[i] = [k, v];
  }
  if (data !== end) return [];
  return out;
}
