// Bounds-checked access to a plugin's linear memory. Views are cached and only re-created when
// `memory.buffer` changed (growth detaches the old ArrayBuffer), so hostcalls allocate nothing
// for plain reads and writes.

import { VmFault } from '../vm/fault.ts';
import { WasmResult, type HeaderPairs } from '../types.ts';
import { pairsSize, writePairs, type PairEncoding } from './pairs.ts';

/** The plugin's allocator: `malloc` or `proxy_on_memory_allocate`, (size) -> ptr (i32). */
export type Allocator = (size: number) => number;

/** Node's Buffer has these (undocumented in @types/node, stable since Node 0.x). */
type SliceBuffer = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string };

export class GuestMemory {
  readonly memory: WebAssembly.Memory;
  allocator: Allocator | undefined;
  private ab: ArrayBuffer | SharedArrayBuffer;
  /** Node Buffer view over the whole memory (fast latin1/utf8 encode/decode). */
  private buf: Buffer;

  constructor(memory: WebAssembly.Memory) {
    this.memory = memory;
    this.ab = memory.buffer;
    this.buf = Buffer.from(this.ab);
  }

  /** Current view, re-created after growth. */
  bytes(): Buffer {
    // Growth detaches the old ArrayBuffer (byteLength becomes 0): a cheap test before the costly
    // `memory.buffer` getter.
    if (this.ab.byteLength === 0 && this.memory.buffer !== this.ab) {
      this.ab = this.memory.buffer;
      this.buf = Buffer.from(this.ab);
    }
    return this.buf;
  }

  byteLength(): number {
    return this.bytes().length;
  }

  /** True when [ptr, ptr+len) lies inside memory. Arguments are already unsigned. */
  ok(ptr: number, len: number): boolean {
    return ptr + len <= this.bytes().length;
  }

  /** Copy of the bytes (null when out of bounds). */
  copy(ptr: number, len: number): Uint8Array | null {
    const b = this.bytes();
    if (ptr + len > b.length) return null;
    return new Uint8Array(b.buffer, ptr, len).slice();
  }

  /** Decodes a string (null when out of bounds). */
  string(ptr: number, len: number, enc: 'utf8' | 'latin1' = 'utf8'): string | null {
    const b = this.bytes() as SliceBuffer;
    if (ptr + len > b.length) return null;
    if (len === 0) return '';
    // The slice methods skip toString's argument normalisation: this is the hostcall hot path.
    return enc === 'latin1' ? b.latin1Slice(ptr, ptr + len) : b.utf8Slice(ptr, ptr + len);
  }

  u32(ptr: number): number | null {
    const b = this.bytes();
    if (ptr + 4 > b.length) return null;
    return b.readUInt32LE(ptr);
  }

  setU32(ptr: number, v: number): boolean {
    const b = this.bytes();
    if (ptr + 4 > b.length) return false;
    b.writeUInt32LE(v >>> 0, ptr);
    return true;
  }

  setU64(ptr: number, v: bigint): boolean {
    const b = this.bytes();
    if (ptr + 8 > b.length) return false;
    b.writeBigUInt64LE(BigInt.asUintN(64, v), ptr);
    return true;
  }

  /**
   * Allocates `size` bytes in the plugin (size > 0). Returns 0 when the allocator reported failure.
   * A pointer outside memory is a broken plugin: that fails the VM (VmFault), as a trap would.
   */
  alloc(size: number): number {
    const fn = this.allocator;
    if (!fn) throw new VmFault('plugin exports no allocator (malloc / proxy_on_memory_allocate)');
    const ptr = fn(size) >>> 0;
    if (ptr === 0) return 0;
    if (ptr + size > this.bytes().length) {
      throw new VmFault(`allocator returned an out-of-bounds pointer ${ptr} for ${size} bytes`);
    }
    return ptr;
  }

  /**
   * The ABI's variable-size output: allocate `data.length` bytes in the plugin, copy, write ptr and
   * size to the out-params. Empty data writes 0/0 without calling the allocator (cpp-host).
   * Returns Ok, or InvalidMemoryAccess for bad out-params or a failed allocation.
   */
  output(ptrPtr: number, sizePtr: number, data: Uint8Array): number {
    const ptr = this.reserve(ptrPtr, sizePtr, data.length);
    if (ptr > 0) this.buf.set(data, ptr);
    return ptr < 0 ? WasmResult.InvalidMemoryAccess : WasmResult.Ok;
  }

  /** Like `output` for a string, encoding straight into plugin memory. */
  outputString(ptrPtr: number, sizePtr: number, s: string, enc: 'utf8' | 'latin1' = 'utf8'): number {
    const len = enc === 'latin1' ? s.length : Buffer.byteLength(s);
    const ptr = this.reserve(ptrPtr, sizePtr, len);
    if (ptr > 0) this.buf.write(s, ptr, len, enc);
    return ptr < 0 ? WasmResult.InvalidMemoryAccess : WasmResult.Ok;
  }

  /** Like `output` for a header map, serialized straight into plugin memory; empty writes 0/0. */
  outputPairs(ptrPtr: number, sizePtr: number, pairs: HeaderPairs, enc: PairEncoding): number {
    const ptr = this.reserve(ptrPtr, sizePtr, pairs.length === 0 ? 0 : pairsSize(pairs, enc));
    if (ptr > 0) writePairs(this.buf, ptr, pairs, enc);
    return ptr < 0 ? WasmResult.InvalidMemoryAccess : WasmResult.Ok;
  }

  /**
   * The common part of the outputs: checks the out-params, allocates `size` bytes and writes their
   * pointer and size. Returns the pointer to fill, 0 when there is nothing to fill (size 0: 0/0
   * written, no allocation) or -1 when the out-params are out of bounds or the allocation failed.
   * After it returns, `this.buf` is the current view (the allocator may have grown memory).
   */
  private reserve(ptrPtr: number, sizePtr: number, size: number): number {
    if (!this.ok(ptrPtr, 4) || !this.ok(sizePtr, 4)) return -1;
    if (size === 0) {
      this.buf.writeUInt32LE(0, ptrPtr);
      this.buf.writeUInt32LE(0, sizePtr);
      return 0;
    }
    const ptr = this.alloc(size);
    if (ptr === 0) return -1;
    const b = this.bytes();
    b.writeUInt32LE(ptr, ptrPtr);
    b.writeUInt32LE(size, sizePtr);
    return ptr;
  }
}
