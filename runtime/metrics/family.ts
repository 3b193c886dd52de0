// Labelled metric families with a cheap hot path. prom-client's own `.labels(...)` hashes the
// label object on every call; here the caller looks a cell up once (by a key it builds) and then
// bumps plain numbers. Families implement the small contract prom-client's Registry reads at
// scrape time (name, help, type, get(), reset()), so they print alongside prom-client's
// process metrics on the same Registry.
import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string>;

interface MetricValue {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** The shape the Registry formats (`metric.get()`). */
interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum';
}

export interface ValueCell {
  readonly labels: Labels;
  value: number;
}

export interface HistogramCell {
  readonly labels: Labels;
  /** counts[i] = observations in (bounds[i-1], bounds[i]]; the last slot is (last bound, +Inf). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

abstract class Family<Cell extends { labels: Labels }> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected readonly cells = new Map<string, Cell>();

  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  /** The cell for `labels`, created on first use; `key` must identify the label values. */
  cell(key: string, labels: Labels): Cell {
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = this.newCell(labels);
      this.cells.set(key, cell);
    }
    return cell;
  }

  register(registry: Registry): this {
    // The Registry only reads the members this class has; its type names prom-client's classes.
    registry.registerMetric(this as unknown as Metric);
    return this;
  }

  /** Zeroes every series; cells stay valid because callers keep references to them. */
  reset(): void {
    for (const cell of this.cells.values()) this.zero(cell);
  }

  protected abstract newCell(labels: Labels): Cell;
  protected abstract zero(cell: Cell): void;
}

/** One number per label set; counters and gauges differ only in how Prometheus reads them. */
class ValueFamily extends Family<ValueCell> {
  readonly type: 'counter' | 'gauge';

  constructor(type: 'counter' | 'gauge', name: string, help: string) {
    super(name, help);
    this.type = type;
  }

  protected newCell(labels: Labels): ValueCell {
    return { labels, value: 0 };
  }

  protected zero(cell: ValueCell): void {
    cell.value = 0;
  }

  get(): MetricSnapshot {
    const values = [...this.cells.values()].map((c) => ({ labels: c.labels, value: c.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

export class CounterFamily extends ValueFamily {
  constructor(name: string, help: string) {
    super('counter', name, help);
  }
}

export class GaugeFamily extends ValueFamily {
  constructor(name: string, help: string) {
    super('gauge', name, help);
  }
}

export class HistogramFamily extends Family<HistogramCell> {
  readonly type = 'histogram' as const;
  readonly bounds: readonly number[];

  constructor(name: string, help: string, bounds: readonly number[]) {
    super(name, help);
    this.bounds = [...bounds].sort((a, b) => a - b);
  }

  protected newCell(labels: Labels): HistogramCell {
    return { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
  }

  protected zero(cell: HistogramCell): void {
    cell.counts.fill(0);
    cell.sum = 0;
    cell.count = 0;
  }

  observe(cell: HistogramCell, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    cell.counts[i]!++;
    cell.sum += value;
    cell.count++;
  }

  get(): MetricSnapshot {
    const values: MetricValue[] = [];
    for (const c of this.cells.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += c.counts[i]!;
        values.push({ labels: { ...c.labels, le: String(le) }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...c.labels, le: '+Inf' }, value: c.count, metricName: `${this.name}_bucket` });
      values.push({ labels: c.labels, value: c.sum, metricName: `${this.name}_sum` });
      values.push({ labels: c.labels, value: c.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
