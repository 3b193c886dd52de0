// Plugin metric cells kept by the Wasm host appear on the proxy's /metrics text.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { exportPluginMetrics, PrometheusProxyMetrics } from './index.ts';
import type { PluginMetricCell } from './index.ts';

const BOUNDS = [1, 10, 100];

function store() {
  const cells: PluginMetricCell[] = [];
  const listeners = new Set<(c: PluginMetricCell) => void>();
  return {
    cells: () => cells,
    onDefine(l: (c: PluginMetricCell) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    define(name: string, type: number): PluginMetricCell {
      const cell: PluginMetricCell = { name, type, value: 0n, count: 0, sum: 0, buckets: type === 2 ? [0, 0, 0, 0] : undefined };
      cells.push(cell);
      for (const l of listeners) l(cell);
      return cell;
    },
  };
}

it('exports counters, gauges and histograms defined before and after attaching', async () => {
  const m = new PrometheusProxyMetrics({ processMetrics: false });
  const s = store();
  const early = s.define('auth.allowed', 0);
  early.value = 7n;
  const conflicts: string[] = [];
  const stop = exportPluginMetrics(m.registry, s, BOUNDS, (_cell, name) => conflicts.push(name));
  const gauge = s.define('queue.depth', 1);
  gauge.value = 3n;
  const hist = s.define('callout_ms', 2);
  hist.buckets = [1, 0, 2, 1];
  hist.count = 4;
  hist.sum = 321;
  s.define('remora_requests_total', 0);
  const text = await m.text();
  assert.ok(text.includes('# TYPE auth_allowed counter\nauth_allowed 7'));
  assert.ok(text.includes('# TYPE queue_depth gauge\nqueue_depth 3'));
  assert.ok(text.includes('callout_ms_bucket{le="1"} 1'));
  assert.ok(text.includes('callout_ms_bucket{le="10"} 1'));
  assert.ok(text.includes('callout_ms_bucket{le="100"} 3'));
  assert.ok(text.includes('callout_ms_bucket{le="+Inf"} 4'));
  assert.ok(text.includes('callout_ms_sum 321'));
  assert.deepEqual(conflicts, ['remora_requests_total']);
  stop();
  s.define('after.stop', 0);
  assert.ok(!(await m.text()).includes('after_stop'));
});
