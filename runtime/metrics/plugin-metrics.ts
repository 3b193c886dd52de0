// Metrics that proxy-wasm plugins define at run time (proxy_define_metric and friends), shown
// on the same /metrics as the proxy's own. Semantics follow Envoy: defining the same name and
// type again returns the same metric (plugins and VMs share it); counters only go up; gauges
// are added to or set; histograms record observations; reading a histogram is not possible.
import type { Registry } from 'prom-client';
import { CounterFamily, GaugeFamily, HistogramFamily } from './family.ts';
import type { HistogramCell, ValueCell } from './family.ts';

export type PluginMetricType = 'counter' | 'gauge' | 'histogram';

/** Envoy's default histogram buckets (values are whatever unit the plugin records, usually ms). */
export const PLUGIN_HISTOGRAM_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

/** Thrown for a bad definition or use; the Wasm host answers the plugin with BadArgument. */
export class PluginMetricError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginMetricError';
  }
}

interface Defined {
  type: PluginMetricType;
  name: string;
  family: CounterFamily | GaugeFamily | HistogramFamily;
  value?: ValueCell;
  histogram?: HistogramCell;
}

/** Turns a proxy-wasm metric name (which may contain '.', '-', ...) into a Prometheus name. */
export function prometheusName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

export class PluginMetricSink {
  private readonly registry: Registry;
  private readonly byId: Defined[] = [];
  private readonly byName = new Map<string, number>();

  constructor(registry: Registry) {
    this.registry = registry;
  }

  /** Defines (or finds) a metric and returns its id (a small integer, stable for the process). */
  define(type: PluginMetricType, name: string): number {
    if (name.length === 0) throw new PluginMetricError('metric name is empty');
    const promName = prometheusName(name);
    const existing = this.byName.get(promName);
    if (existing !== undefined) {
      const d = this.byId[existing]!;
      if (d.type !== type) throw new PluginMetricError(`metric ${name} is already defined as a ${d.type}`);
      return existing;
    }
    if (this.registry.getSingleMetric(promName) !== undefined) {
      throw new PluginMetricError(`metric name ${promName} is reserved by Remora`);
    }
    const help = `proxy-wasm plugin ${type} ${name}`;
    let d: Defined;
    if (type === 'histogram') {
      const family = new HistogramFamily(promName, help, PLUGIN_HISTOGRAM_BUCKETS).register(this.registry);
      d = { type, name, family, histogram: family.cell('', {}) };
    } else {
      const family = (type === 'counter' ? new CounterFamily(promName, help) : new GaugeFamily(promName, help)).register(this.registry);
      d = { type, name, family, value: family.cell('', {}) };
    }
    const id = this.byId.push(d) - 1;
    this.byName.set(promName, id);
    return id;
  }

  /** Adds `delta` to a counter (delta >= 0) or a gauge (any sign). */
  increment(id: number, delta: number): void {
    const d = this.lookup(id);
    if (d.type === 'histogram') throw new PluginMetricError(`metric ${d.name} is a histogram; record values instead`);
    if (d.type === 'counter' && delta < 0) throw new PluginMetricError(`counter ${d.name} cannot decrease`);
    d.value!.value += delta;
  }

  /** Sets a gauge, records a histogram observation, or sets a counter to a value not below the current one. */
  record(id: number, value: number): void {
    const d = this.lookup(id);
    if (d.type === 'histogram') {
      (d.family as HistogramFamily).observe(d.histogram!, value);
      return;
    }
    if (d.type === 'counter' && value < d.value!.value) throw new PluginMetricError(`counter ${d.name} cannot decrease`);
    d.value!.value = value;
  }

  /** Current value of a counter or gauge. */
  get(id: number): number {
    const d = this.lookup(id);
    if (d.type === 'histogram') throw new PluginMetricError(`metric ${d.name} is a histogram and cannot be read`);
    return d.value!.value;
  }

  /** The type and original name of a defined metric, or undefined for an unknown id. */
  describe(id: number): { type: PluginMetricType; name: string } | undefined {
    const d = this.byId[id];
    return d && { type: d.type, name: d.name };
  }

  private lookup(id: number): Defined {
    const d = this.byId[id];
    if (d === undefined) throw new PluginMetricError(`unknown metric id ${id}`);
    return d;
  }
}
