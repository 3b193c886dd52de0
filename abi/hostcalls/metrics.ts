// Plugin metrics (reference §3.4 "Metrics", §7.11). Ids are per VM with the type in the low 2 bits;
// values live in the process-wide MetricStore cell of (name, type).

import type { WasmVm } from '../vm/vm.ts';
import { MetricType, WasmResult, type MetricKind } from '../types.ts';
import { metricStore } from '../shared/metric-store.ts';

export function metricImports(vm: WasmVm) {
  return {
    proxy_define_metric(type: number, nPtr: number, nLen: number, idPtr: number): number {
      type >>>= 0;
      if (type > MetricType.Histogram) return WasmResult.BadArgument;
      const name = vm.mem.string(nPtr >>> 0, nLen >>> 0);
      if (name === null || !vm.mem.ok(idPtr >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
      const cell = metricStore.define(name, type as MetricKind);
      const id = (vm.lastMetricId[type] = (vm.lastMetricId[type]! + 4) >>> 0);
      vm.metrics.set(id, cell);
      vm.mem.setU32(idPtr >>> 0, id);
      return WasmResult.Ok;
    },

    proxy_increment_metric(id: number, delta: bigint): number {
      const cell = vm.metrics.get(id >>> 0);
      if (!cell) return WasmResult.NotFound;
      if (cell.type === MetricType.Counter) {
        if (delta <= 0n) return WasmResult.BadArgument;
        cell.value += delta;
      } else if (cell.type === MetricType.Gauge) {
        cell.value += delta;
      } else return WasmResult.BadArgument;
      return WasmResult.Ok;
    },

    proxy_record_metric(id: number, value: bigint): number {
      const cell = vm.metrics.get(id >>> 0);
      if (!cell) return WasmResult.NotFound;
      const v = BigInt.asUintN(64, value);
      if (cell.type === MetricType.Counter) cell.value += v;
      else if (cell.type === MetricType.Gauge) cell.value = BigInt.asIntN(64, value);
      else metricStore.observe(cell, Number(v));
      return WasmResult.Ok;
    },

    proxy_get_metric(id: number, retPtr: number): number {
      const cell = vm.metrics.get(id >>> 0);
      if (!cell) return WasmResult.NotFound;
      if (cell.type === MetricType.Histogram) return WasmResult.BadArgument;
      return vm.mem.setU64(retPtr >>> 0, cell.value) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },
  };
}
