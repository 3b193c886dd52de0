// proxy_log, proxy_get_log_level, current time, tick period (reference §3.4 "Logging / time / timers").

import type { WasmVm } from '../vm/vm.ts';
import { rootOf } from '../context/context.ts';

export function logTimeImports(vm: WasmVm) {
  return {
    proxy_log(level: number, ptr: number, len: number): number {
      level >>>= 0;
      if (level > 5) return 2;
      const msg = vm.mem?.string(ptr >>> 0, len >>> 0);
      if (msg == null) return 6;
      vm.logFor(level, msg);
      return 0;
    },
    proxy_get_log_level(retPtr: number): number {
      const root = vm.anyRoot();
      const level = Math.min(5, root?.plugin.host.logLevel?.() ?? 2);
      return vm.mem.setU32(retPtr >>> 0, level) ? 0 : 6;
    },
    proxy_get_current_time_nanoseconds(retPtr: number): number {
      return vm.mem.setU64(retPtr >>> 0, BigInt(Date.now()) * 1_000_000n) ? 0 : 6;
    },
    proxy_set_tick_period_milliseconds(period: number): number {
      const root = rootOf(vm.effective);
      if (!root) return 2;
      vm.setTick(root, period >>> 0);
      return 0;
    },
  };
}
