// Header/trailer/metadata map hostcalls (reference §3.4 "Header maps", §4.1, §7.5). Maps are the
// stream context's ordered [name, value] arrays (latin1 = raw bytes), mutated in place.

import type { WasmVm } from '../vm/vm.ts';
import { WasmResult } from '../types.ts';
import type { HeaderPairs } from '../types.ts';
import { parsePairs } from '../memory/pairs.ts';

/** Map of `type` for the effective context: pairs, undefined = not available now, null = bad type. */
function lookupMap(vm: WasmVm, type: number): HeaderPairs | undefined | null {
  const eff = vm.effective;
  switch (type) {
    case 0:
    case 1:
    case 2:
    case 3:
      return eff?.kind === 'stream' ? eff.maps[type] : undefined;
    case 4:
      return vm.scratch.grpcInitial;
    case 5:
      return vm.scratch.grpcTrailing;
    case 6:
      return vm.scratch.httpResponse?.headers;
    case 7:
      return vm.scratch.httpResponse?.trailers;
    default:
      return null;
  }
}

/** Writable map, or the status: BAD_ARGUMENT for unavailable / read-only maps (Envoy). */
function writableMap(vm: WasmVm, type: number): HeaderPairs | number {
  if (type > 7) return WasmResult.BadArgument;
  const eff = vm.effective;
  if (type > 3 || eff?.kind !== 'stream' || eff.readOnly) return WasmResult.BadArgument;
  const map = eff.maps[type];
  if (map !== undefined) return map;
  // Trailers a last body callback may create (reference §7.4): the map exists from its first write.
  if (eff.trailersOffer === type) return (eff.maps[type] = []);
  return WasmResult.BadArgument;
}

/** tchar of RFC 9110 §5.6.2 in lower case (names are lower-cased before the check): 1 = allowed. */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") TOKEN[c.charCodeAt(0)] = 1;

/** A lower-case HTTP token, optionally after one ':' (pseudo-headers). */
function validName(k: string): boolean {
  let i = k.charCodeAt(0) === 58 /* ':' */ ? 1 : 0;
  if (i >= k.length) return false;
  for (; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) return false;
  }
  return true;
}

/** Field value bytes without control characters other than tab (latin1 strings: codes 0..255). */
function validValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/**
 * A name or value no HTTP codec can send (e.g. a NUL or newline from a stale plugin pointer) is
 * refused with BAD_ARGUMENT and a warning naming the plugin, instead of breaking the response later.
 * (Char loops rather than regular expressions: this runs on every header a plugin sets.)
 */
export function validHeader(vm: WasmVm, k: string, v: string): boolean {
  if (validName(k) && validValue(v)) return true;
  vm.logFor(3, `refused header ${JSON.stringify(k)}: ${JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}...` : v)} (not a valid HTTP field name/value)`);
  return false;
}

export function headerMapImports(vm: WasmVm) {
  const key = (ptr: number, len: number) => {
    const k = vm.mem.string(ptr >>> 0, len >>> 0, 'latin1');
    return k == null ? null : k.toLowerCase();
  };

  /** Name (lower-cased) and value of an add/replace: the pair, or the status to return (bad memory, refused header). */
  const entry = (kPtr: number, kLen: number, vPtr: number, vLen: number): [string, string] | number => {
    const k = key(kPtr, kLen);
    const v = vm.mem.string(vPtr >>> 0, vLen >>> 0, 'latin1');
    if (k === null || v === null) return WasmResult.InvalidMemoryAccess;
    return validHeader(vm, k, v) ? [k, v] : WasmResult.BadArgument;
  };

  return {
    proxy_get_header_map_pairs(type: number, ptrPtr: number, sizePtr: number): number {
      const map = lookupMap(vm, type >>> 0);
      if (map === null) return WasmResult.BadArgument;
      return vm.mem.outputPairs(ptrPtr >>> 0, sizePtr >>> 0, map ?? [], 'latin1');
    },

    proxy_set_header_map_pairs(type: number, ptr: number, size: number): number {
      const map = writableMap(vm, type >>> 0);
      if (typeof map === 'number') return map;
      ptr >>>= 0;
      size >>>= 0;
      if (!vm.mem.ok(ptr, size)) return WasmResult.InvalidMemoryAccess;
      // Malformed input parses as an empty map and so clears it, as cpp-host.
      const pairs = parsePairs(vm.mem.bytes(), ptr, size, 'latin1');
      for (const p of pairs) {
        p[0] = p[0].toLowerCase();
        if (!validHeader(vm, p[0], p[1])) return WasmResult.BadArgument;
      }
      map.length = 0;
      for (const p of pairs) map.push(p);
      return WasmResult.Ok;
    },

    proxy_get_header_map_value(type: number, kPtr: number, kLen: number, ptrPtr: number, sizePtr: number): number {
      const map = lookupMap(vm, type >>> 0);
      if (map === null) return WasmResult.BadArgument;
      const k = key(kPtr, kLen);
      if (k === null) return WasmResult.InvalidMemoryAccess;
      // Unavailable map: NOT_FOUND rather than Envoy's 2, which panics the Rust SDK (reference §7.0).
      if (map !== undefined) {
        for (let i = 0; i < map.length; i++) {
          const p = map[i]!;
          if (p[0] === k) return vm.mem.outputString(ptrPtr >>> 0, sizePtr >>> 0, p[1], 'latin1');
        }
      }
      if (vm.abi === '0.1.0') return vm.mem.output(ptrPtr >>> 0, sizePtr >>> 0, new Uint8Array(0));
      return WasmResult.NotFound;
    },

    proxy_add_header_map_value(type: number, kPtr: number, kLen: number, vPtr: number, vLen: number): number {
      const map = writableMap(vm, type >>> 0);
      if (typeof map === 'number') return map;
      const e = entry(kPtr, kLen, vPtr, vLen);
      if (typeof e === 'number') return e;
      map.push(e);
      return WasmResult.Ok;
    },

    proxy_replace_header_map_value(type: number, kPtr: number, kLen: number, vPtr: number, vLen: number): number {
      const map = writableMap(vm, type >>> 0);
      if (typeof map === 'number') return map;
      const e = entry(kPtr, kLen, vPtr, vLen);
      if (typeof e === 'number') return e;
      const k = e[0];
      let found = false;
      let w = 0;
      for (let i = 0; i < map.length; i++) {
        const p = map[i]!;
        if (p[0] === k) {
          if (found) continue; // drop other duplicates
          found = true;
          map[w++] = e;
        } else map[w++] = p;
      }
      map.length = w;
      if (!found) map.push(e);
      return WasmResult.Ok;
    },

    proxy_remove_header_map_value(type: number, kPtr: number, kLen: number): number {
      const map = writableMap(vm, type >>> 0);
      if (typeof map === 'number') return map;
      const k = key(kPtr, kLen);
      if (k === null) return WasmResult.InvalidMemoryAccess;
      let w = 0;
      for (let i = 0; i < map.length; i++) {
        const p = map[i]!;
        if (p[0] !== k) map[w++] = p;
      }
      map.length = w;
      return WasmResult.Ok;
    },

    proxy_get_header_map_size(type: number, retPtr: number): number {
      const map = lookupMap(vm, type >>> 0);
      if (map === null || map === undefined) return WasmResult.BadArgument;
      // Envoy writes the header bytes (names + values), not the serialized size.
      let n = 0;
      for (const p of map) n += p[0].length + p[1].length;
      return vm.mem.setU32(retPtr >>> 0, n) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },
  };
}
