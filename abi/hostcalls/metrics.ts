// Plugin metrics (reference §3.4 "Metrics", §7.11). Ids are per VM with the type in the low 2 bits;
// values live in the process-wide MetricStore cell of (name, type).

import type { WasmVm } from '../vm/vm.ts';
import type { MetricKind } from '../types.ts';
import { metricStore } from '../shared/metric-store.ts';

export function metricImports(vm: WasmVm) {
  return {
    proxy_define_metric(type: number, nPtr: number, nLen: number, idPtr: number): number {
      type >>>= 0;
      if (type > 2) return 2;
      const name = vm.mem.string(nPtr >>> 0, nLen >>> 0);
      if (name === null || !vm.mem.ok(idPtr >>> 0, 4)) return 6;
      const cell = metricStore.define(name, type as MetricKind);
      const id = (vm.lastMetricId[type] = (vm.lastMetricId[type]! + 4) >>> 0);
      vm.metrics.set(id, cell);
      vm.mem.setU32(idPtr >>> 0, id);
      return 0;
    },

    proxy_increment_metric(id: number, delta: bigint): number {
      const cell = vm.metrics.get(id >>> 0);
      if (!cell) return 1;
      if (cell.type === 0) {
        if (delta <= 0n) return 2;
        cell.value += delta;
      } else if (cell.type === 1) {
        cell.value += delta;
      } else return 2;
      return 0;
    },

    proxy_record_metric(id: number, value: bigint): number {
      const cell = vm.metrics.get(id >>> 0);
      if (!cell) return 1;
      const v = BigInt.asUintN(64, value);
      if (cell.type === 0) cell.value += v;
      else if (cell.type === 1) cell.value = BigInt.asIntN(64, value);
      else metricStore.observe(cell, Number(v));
      return 0;
    },

    proxy_get_metric(id: number, retPtr: number): number {
      const cell = vm.metrics.get(id >>> 0);
      if (!cell) return 1;
      if (cell.type === 2) return 2;
      return vm.mem.setU64(retPtr >>> 0, cell.value) ? 0 : 6;
    },
  };
}
