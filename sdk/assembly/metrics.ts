// Counters, gauges and histograms exported by the host (Remora: on /metrics).
// Defined lazily on first use, because the host forbids most calls while the module starts.
import { proxy_define_metric, proxy_increment_metric, proxy_record_metric, proxy_get_metric } from "./imports";
import { MetricType, WasmResult } from "./enums";
import { OUT_VALUE, utf8, ptrOf } from "./memory";

/** 0xffffffff = not defined yet (0 is a valid counter id). */
const UNDEFINED: u32 = 0xffffffff;

class Metric {
  private id: u32 = UNDEFINED;
  constructor(public readonly name: string, private readonly metricType: MetricType) {}

  protected metricId(): u32 {
    if (this.id == UNDEFINED) {
      const n = utf8(this.name);
      store<u32>(OUT_VALUE, UNDEFINED);
      if (proxy_define_metric(<u32>this.metricType, ptrOf(n), <usize>n.byteLength, OUT_VALUE) == WasmResult.Ok) {
        this.id = load<u32>(OUT_VALUE);
      }
    }
    return this.id;
  }

  protected read(): u64 {
    store<u64>(OUT_VALUE, 0);
    proxy_get_metric(this.metricId(), OUT_VALUE);
    return load<u64>(OUT_VALUE);
  }
}

/** A monotonically increasing count. */
export class Counter extends Metric {
  constructor(name: string) { super(name, MetricType.Counter); }
  /** Adds `delta` (> 0). */
  increment(delta: u64 = 1): WasmResult {
    return <WasmResult>proxy_increment_metric(this.metricId(), <i64>delta);
  }
  get(): u64 { return this.read(); }
}

/** A value that goes up and down. */
export class Gauge extends Metric {
  constructor(name: string) { super(name, MetricType.Gauge); }
  set(value: i64): WasmResult {
    return <WasmResult>proxy_record_metric(this.metricId(), <u64>value);
  }
  add(delta: i64): WasmResult {
    return <WasmResult>proxy_increment_metric(this.metricId(), delta);
  }
  get(): i64 { return <i64>this.read(); }
}

/** A distribution of recorded values (e.g. sizes, latencies). */
export class Histogram extends Metric {
  constructor(name: string) { super(name, MetricType.Histogram); }
  record(value: u64): WasmResult {
    return <WasmResult>proxy_record_metric(this.metricId(), value);
  }
}
