// Buffer hostcalls (reference §3.4 "Buffers"): bodies and TCP data live on the stream context,
// call responses / gRPC messages / configuration / foreign-function args in the VM's call scratch.

import type { WasmVm } from '../vm/vm.ts';
import { WasmResult } from '../types.ts';
import { rootOf } from '../context/context.ts';

/** Buffer of `type` for the effective context: bytes, undefined = not available now, null = bad type. */
export function lookupBuffer(vm: WasmVm, type: number): Uint8Array | undefined | null {
  const eff = vm.effective;
  switch (type) {
    case 0:
    case 1:
    case 2:
    case 3:
      return eff?.kind === 'stream' ? eff.buffers[type] : undefined;
    case 4:
      return vm.scratch.httpResponse?.body;
    case 5:
      return vm.scratch.grpcMessage;
    case 6: {
      const root = rootOf(eff) ?? vm.anyRoot();
      return root?.plugin.vmConfig;
    }
    case 7: {
      const root = vm.scratch.configuring;
      return root && root === rootOf(eff) ? root.plugin.config : undefined;
    }
    case 8:
      return vm.scratch.foreignArgs;
    default:
      return null;
  }
}

export function bufferImports(vm: WasmVm) {
  return {
    proxy_get_buffer_bytes(type: number, start: number, max: number, ptrPtr: number, sizePtr: number): number {
      const buf = lookupBuffer(vm, type >>> 0);
      if (buf === null) return WasmResult.BadArgument;
      if (buf === undefined) return WasmResult.NotFound;
      start >>>= 0;
      max >>>= 0;
      // u32::MAX means "all": clamp rather than overflow.
      const from = Math.min(start, buf.length);
      const to = Math.min(buf.length, from + max);
      // Nothing to copy: OK with 0/0 written and no allocation (reference §3.4, cpp-host HEAD;
      // older cpp-host releases left the out-params untouched).
      return vm.mem.output(ptrPtr >>> 0, sizePtr >>> 0, buf.subarray(from, to));
    },

    proxy_set_buffer_bytes(type: number, start: number, size: number, dataPtr: number, dataLen: number): number {
      type >>>= 0;
      const eff = vm.effective;
      if (type > 8) return WasmResult.BadArgument;
      if (type > 3 || eff?.kind !== 'stream') return WasmResult.BadArgument; // read-only buffers
      const cur = eff.buffers[type];
      if (cur === undefined) return WasmResult.BadArgument;
      const data = vm.mem.copy(dataPtr >>> 0, dataLen >>> 0);
      if (!data) return WasmResult.InvalidMemoryAccess;
      start >>>= 0;
      size >>>= 0;
      let next: Uint8Array;
      if (start === 0) {
        // Envoy: drop the first min(size, len) bytes, then prepend data.
        const rest = cur.subarray(Math.min(size, cur.length));
        next = new Uint8Array(data.length + rest.length);
        next.set(data, 0);
        next.set(rest, data.length);
      } else if (start >= cur.length) {
        next = new Uint8Array(cur.length + data.length);
        next.set(cur, 0);
        next.set(data, cur.length);
      } else {
        return WasmResult.BadArgument;
      }
      eff.buffers[type] = next;
      return WasmResult.Ok;
    },

    proxy_get_buffer_status(type: number, lenPtr: number, flagsPtr: number): number {
      const buf = lookupBuffer(vm, type >>> 0);
      if (buf === null) return WasmResult.BadArgument;
      if (buf === undefined) return WasmResult.NotFound;
      if (!vm.mem.setU32(lenPtr >>> 0, buf.length) || !vm.mem.setU32(flagsPtr >>> 0, 0)) return WasmResult.InvalidMemoryAccess;
      return WasmResult.Ok;
    },

    /** ABI 0.1.0: VM config in on_vm_start, plugin config in on_configure. */
    proxy_get_configuration(ptrPtr: number, sizePtr: number): number {
      const root = rootOf(vm.effective);
      if (!root) return WasmResult.NotFound;
      const bytes = vm.scratch.configuring === root ? root.plugin.config : root.plugin.vmConfig;
      return vm.mem.output(ptrPtr >>> 0, sizePtr >>> 0, bytes);
    },
  };
}
