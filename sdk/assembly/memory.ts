// Moving bytes across the ABI boundary: out-parameters, host-allocated results, UTF-8 and header pairs.

/** Scratch space for out-parameters: [0] pointer, [4] size, [8] u32/u64 values. The VM is single-threaded. */
export const OUT: usize = memory.data(16);
export const OUT_PTR: usize = OUT;
export const OUT_SIZE: usize = OUT + 4;
export const OUT_VALUE: usize = OUT + 8;

/**
 * Allocator the host calls to hand results to the plugin. The block is a managed ArrayBuffer, pinned so
 * the GC leaves it alone until `takeResult` adopts it: results arrive without an extra copy.
 */
export function allocateForHost(size: usize): usize {
  const ptr = __new(size, idof<ArrayBuffer>());
  __pin(ptr);
  return ptr;
}

/** Adopts the buffer the host wrote to OUT_PTR/OUT_SIZE (empty when it wrote 0/0). */
export function takeResult(): ArrayBuffer {
  const ptr = load<usize>(OUT_PTR);
  const size = load<u32>(OUT_SIZE);
  store<usize>(OUT_PTR, 0);
  store<u32>(OUT_SIZE, 0);
  if (ptr == 0) return new ArrayBuffer(0);
  __unpin(ptr);
  const buffer = changetype<ArrayBuffer>(ptr);
  // A host must allocate exactly `size`; if it wrote less, expose only what it said it wrote.
  if (<u32>buffer.byteLength != size) return buffer.slice(0, <i32>size);
  return buffer;
}

/** Clears the out-parameters before a call, so a failed call never leaves a stale pointer behind. */
export function resetOut(): void {
  store<u64>(OUT, 0);
  store<u64>(OUT_VALUE, 0);
}

export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

export function fromUtf8(buffer: ArrayBuffer): string {
  return String.UTF8.decode(buffer);
}

export function ptrOf(buffer: ArrayBuffer): usize {
  return changetype<usize>(buffer);
}

/** A header, trailer or metadata entry. Names are lower case when they come from the host. */
export class Header {
  constructor(public name: string, public value: string) {}
}

/** Serializes entries in the proxy-wasm pairs format: count, (key_len, value_len)*, then key\0value\0 each. */
export function serializePairs(pairs: Header[]): ArrayBuffer {
  const n = pairs.length;
  let size = 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const p = unchecked(pairs[i]);
    size += String.UTF8.byteLength(p.name) + String.UTF8.byteLength(p.value) + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, <u32>n);
  let lens = base + 4;
  let data = base + 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const p = unchecked(pairs[i]);
    const k = String.UTF8.encodeUnsafe(changetype<usize>(p.name), p.name.length, data);
    store<u8>(data + k, 0);
    data += k + 1;
    const v = String.UTF8.encodeUnsafe(changetype<usize>(p.value), p.value.length, data);
    store<u8>(data + v, 0);
    data += v + 1;
    store<u32>(lens, <u32>k);
    store<u32>(lens, <u32>v, 4);
    lens += 8;
  }
  return out;
}

/** Parses the pairs format; malformed input yields the entries read so far (never traps). */
export function deserializePairs(buffer: ArrayBuffer): Header[] {
  const total = <usize>buffer.byteLength;
  const result = new Array<Header>();
  if (total < 4) return result;
  const base = changetype<usize>(buffer);
  const n = <usize>load<u32>(base);
  if (n * 8 + 4 > total) return result;
  let lens = base + 4;
  let data = base + 4 + 8 * n;
  const end = base + total;
  for (let i: usize = 0; i < n; i++) {
    const k = <usize>load<u32>(lens);
    const v = <usize>load<u32>(lens, 4);
    lens += 8;
    if (data + k + v + 2 > end) break;
    const name = String.UTF8.decodeUnsafe(data, k);
    data += k + 1;
    const value = String.UTF8.decodeUnsafe(data, v);
    data += v + 1;
    result.push(new Header(name, value));
  }
  return result;
}

/** Decimal text of `n` (smaller than the std toString, which brings lookup tables into every plugin). */
export function decimal(n: u32): string {
  if (n == 0) return "0";
  let s = "";
  while (n > 0) {
    s = String.fromCharCode(0x30 + <i32>(n % 10)) + s;
    n /= 10;
  }
  return s;
}
