// Effective context, proxy_done, proxy_get_status, foreign functions and the Emscripten helpers
// (reference §1.5, §3.4 "Properties, context, misc", §7.17, §7.19).

import type { WasmVm } from '../vm/vm.ts';
import { WasmResult } from '../types.ts';
import { rootOf } from '../context/context.ts';

export function contextMiscImports(vm: WasmVm) {
  return {
    proxy_set_effective_context(id: number): number {
      const ctx = vm.contexts.get(id >>> 0);
      if (!ctx || ctx.deleted) return WasmResult.BadArgument;
      vm.effective = ctx;
      return WasmResult.Ok;
    },

    proxy_done(): number {
      const root = rootOf(vm.effective);
      if (!root || !root.pendingDone) return WasmResult.NotFound;
      root.pendingDone = false;
      // Never re-enter from inside the hostcall: on_delete runs after the current callback.
      vm.defer(() => vm.finishRoot(root));
      return WasmResult.Ok;
    },

    proxy_get_status(codePtr: number, msgPtrPtr: number, msgSizePtr: number): number {
      if (!vm.mem.setU32(codePtr >>> 0, vm.status.code)) return WasmResult.InvalidMemoryAccess;
      return vm.mem.outputString(msgPtrPtr >>> 0, msgSizePtr >>> 0, vm.status.message);
    },

    proxy_call_foreign_function(nPtr: number, nLen: number, aPtr: number, aLen: number, ptrPtr: number, sizePtr: number): number {
      const name = vm.mem.string(nPtr >>> 0, nLen >>> 0);
      const args = vm.mem.copy(aPtr >>> 0, aLen >>> 0);
      if (name === null || args === null) return WasmResult.InvalidMemoryAccess;
      // Routing is decided after request headers pass the chain, so this is already satisfied.
      if (name === 'clear_route_cache') return vm.mem.output(ptrPtr >>> 0, sizePtr >>> 0, new Uint8Array(0));
      const root = rootOf(vm.effective) ?? vm.anyRoot();
      let out: Uint8Array | undefined;
      try {
        out = root?.plugin.host.foreignFunction?.(name, args);
      } catch {
        return WasmResult.InternalFailure;
      }
      if (out === undefined) return WasmResult.NotFound;
      return vm.mem.output(ptrPtr >>> 0, sizePtr >>> 0, out);
    },

    emscripten_notify_memory_growth(_index: number): void {},

    pthread_equal(a: number, b: number): number {
      return a === b ? 1 : 0;
    },
  };
}
