// Exports plugin metric cells kept by the Wasm host (abi/shared/metric-store.ts holds one cell
// per name and type for the whole process) on the proxy's Registry: one Prometheus metric per
// cell, read at scrape time, so nothing runs per update besides the host's own arithmetic.
// Typed structurally: runtime/metrics does not import abi/.
import type { Metric, Registry } from 'prom-client';

/** proxy-wasm MetricType: 0 counter, 1 gauge, 2 histogram. */
export interface PluginMetricCell {
  readonly name: string;
  readonly type: number;
  /** Counter / gauge value. */
  value: bigint | number;
  /** Histogram: number of samples, their sum, per-bucket (non-cumulative) counts, last slot +Inf. */
  count: number;
  sum: number;
  buckets: number[] | undefined;
}

export interface PluginMetricSource {
  cells(): Iterable<PluginMetricCell>;
  /** Called for every cell defined later; returns an unsubscribe function. */
  onDefine(listener: (cell: PluginMetricCell) => void): () => void;
}

const TYPE_NAMES = ['counter', 'gauge', 'histogram'] as const;

/** Turns a proxy-wasm metric name (which may contain '.', '-', ...) into a Prometheus name. */
export function prometheusName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/**
 * Registers every current and future cell of `source` on `registry`. A cell whose Prometheus name
 * is taken (by Remora's own metrics, or by a cell of another type) is reported to `onConflict`
 * and left out. Returns a function that stops exporting new cells.
 */
export function exportPluginMetrics(
  registry: Registry,
  source: PluginMetricSource,
  bucketBounds: readonly number[],
  onConflict: (cell: PluginMetricCell, promName: string) => void = () => {},
): () => void {
  const add = (cell: PluginMetricCell) => {
    const name = prometheusName(cell.name);
    const type = TYPE_NAMES[cell.type];
    if (type === undefined || registry.getSingleMetric(name) !== undefined) {
      onConflict(cell, name);
      return;
    }
    const help = `proxy-wasm plugin ${type} ${cell.name}`;
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum',
      get: () => ({ name, help, type, aggregator: 'sum', values: values(cell, name, bucketBounds) }),
      reset: () => {},
    };
    registry.registerMetric(metric as unknown as Metric);
  };
  for (const cell of source.cells()) add(cell);
  return source.onDefine(add);
}

function values(cell: PluginMetricCell, name: string, bounds: readonly number[]) {
  if (cell.type !== 2) return [{ labels: {}, value: Number(cell.value) }];
  const out: Array<{ labels: Record<string, string>; value: number; metricName: string }> = [];
  let cumulative = 0;
  bounds.forEach((le, i) => {
    cumulative += cell.buckets?.[i] ?? 0;
    out.push({ labels: { le: String(le) }, value: cumulative, metricName: `${name}_bucket` });
  });
  out.push({ labels: { le: '+Inf' }, value: cell.count, metricName: `${name}_bucket` });
  out.push({ labels: {}, value: cell.sum, metricName: `${name}_sum` });
  out.push({ labels: {}, value: cell.count, metricName: `${name}_count` });
  return out;
}
