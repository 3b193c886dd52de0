// proxy_log, proxy_get_log_level, current time, tick period (reference §3.4 "Logging / time / timers").

import type { WasmVm } from '../vm/vm.ts';
import { LogLevel, WasmResult } from '../types.ts';
import { rootOf } from '../context/context.ts';

export function logTimeImports(vm: WasmVm) {
  return {
    proxy_log(level: number, ptr: number, len: number): number {
      level >>>= 0;
      if (level > LogLevel.Critical) return WasmResult.BadArgument;
      const msg = vm.mem?.string(ptr >>> 0, len >>> 0);
      if (msg == null) return WasmResult.InvalidMemoryAccess;
      vm.logFor(level, msg);
      return WasmResult.Ok;
    },
    proxy_get_log_level(retPtr: number): number {
      const root = vm.anyRoot();
      const level = Math.min(LogLevel.Critical, root?.plugin.host.logLevel?.() ?? LogLevel.Info);
      return vm.mem.setU32(retPtr >>> 0, level) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },
    proxy_get_current_time_nanoseconds(retPtr: number): number {
      return vm.mem.setU64(retPtr >>> 0, BigInt(Date.now()) * 1_000_000n) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },
    proxy_set_tick_period_milliseconds(period: number): number {
      const root = rootOf(vm.effective);
      if (!root) return WasmResult.BadArgument;
      vm.setTick(root, period >>> 0);
      return WasmResult.Ok;
    },
  };
}
