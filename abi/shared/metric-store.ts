// Plugin-defined metrics (reference §7.11): one cell per (name, type) for the whole process, as
// Envoy's stats store; ids are per VM (vm.ts) and map onto cells. The embedder exports cells, e.g.
// with a prom-client collect() reading `cells()`; nothing runs per update besides the arithmetic.

import { MetricType, type MetricKind } from '../types.ts';

/** Envoy's default histogram bucket bounds. */
export const HISTOGRAM_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

export interface MetricCell {
  readonly name: string;
  readonly type: MetricKind;
  /** Counter / gauge value. */
  value: bigint;
  /** Histogram: samples, their sum, and per-bucket (non-cumulative) counts; last slot = +Inf. */
  count: number;
  sum: number;
  buckets: number[] | undefined;
}

export class MetricStore {
  private readonly byKey = new Map<string, MetricCell>();
  private readonly listeners = new Set<(cell: MetricCell) => void>();

  /** The cell for (name, type), created on first definition. */
  define(name: string, type: MetricKind): MetricCell {
    const k = `${type}:${name}`;
    let cell = this.byKey.get(k);
    if (!cell) {
      cell = {
        name,
        type,
        value: 0n,
        count: 0,
        sum: 0,
        buckets: type === MetricType.Histogram ? new Array(HISTOGRAM_BUCKETS.length + 1).fill(0) : undefined,
      };
      this.byKey.set(k, cell);
      for (const l of this.listeners) l(cell);
    }
    return cell;
  }

  observe(cell: MetricCell, v: number): void {
    cell.count++;
    cell.sum += v;
    let i = 0;
    while (i < HISTOGRAM_BUCKETS.length && v > HISTOGRAM_BUCKETS[i]!) i++;
    cell.buckets![i]!++;
  }

  cells(): IterableIterator<MetricCell> {
    return this.byKey.values();
  }

  /** Told about every new cell (to register it with an exporter). */
  onDefine(listener: (cell: MetricCell) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const metricStore = new MetricStore();
