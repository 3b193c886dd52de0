// The Prometheus side of ProxyMetrics: request counts by status and classification, latency,
// in-flight requests, connections and bytes, plus Node process metrics, all on one Registry
// (never prom-client's global one, so tests and embedders can run several proxies).
// Hot path: one Map lookup per call, then number updates (see family.ts).
import { collectDefaultMetrics, Registry } from 'prom-client';
import { CounterFamily, GaugeFamily, HistogramFamily } from './family.ts';
import type { HistogramCell, ValueCell } from './family.ts';
import type { ProxyMetrics, RequestLabels } from './types.ts';

/** Latency buckets in ms: sub-millisecond proxying up to slow upstreams near the route timeout. */
export const DURATION_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/** Cells of one listener/route/cluster, so requestEnd needs a single Map lookup. */
interface RouteCells {
  labels: RequestLabels;
  inFlight: ValueCell;
  duration: HistogramCell;
  /** requests_total cells by `status * 2 + (failure ? 1 : 0)`. */
  byOutcome: Map<number, ValueCell>;
}

interface ConnectionCells {
  open: ValueCell;
  total: ValueCell;
  bytesIn: ValueCell;
  bytesOut: ValueCell;
}

export class PrometheusProxyMetrics implements ProxyMetrics {
  /** Shared with the admin server (/metrics) and the plugin runtime (exportPluginMetrics). */
  readonly registry: Registry;
  private readonly requests = new CounterFamily('remora_requests_total', 'Proxied requests by status code and classification (failure = 5xx or proxy error)');
  private readonly duration = new HistogramFamily('remora_request_duration_ms', 'Request duration in milliseconds, until the response ended', DURATION_BUCKETS_MS);
  private readonly inFlight = new GaugeFamily('remora_requests_in_flight', 'Requests started and not yet ended');
  private readonly connectionsOpen = new GaugeFamily('remora_connections_open', 'Open downstream connections');
  private readonly connectionsTotal = new CounterFamily('remora_connections_total', 'Accepted downstream connections');
  private readonly bytes = new CounterFamily('remora_bytes_total', 'Downstream bytes; direction in = read from clients, out = written to them');
  private readonly reloads = new CounterFamily('remora_config_reloads_total', 'Config reloads (SIGHUP) by result; a failed one left the previous config serving');
  /** listener → route → cluster → cells. Nested maps keyed by the (config-interned) names avoid building a key string per request. */
  private readonly routes = new Map<string, Map<string, Map<string, RouteCells>>>();
  /** listener → protocol → cells. */
  private readonly connections = new Map<string, Map<string, ConnectionCells>>();

  constructor(options: { registry?: Registry; processMetrics?: boolean } = {}) {
    this.registry = options.registry ?? new Registry();
    for (const family of [this.requests, this.duration, this.inFlight, this.connectionsOpen, this.connectionsTotal, this.bytes, this.reloads]) {
      family.register(this.registry);
    }
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  requestStart(labels: RequestLabels): void {
    this.route(labels).inFlight.value++;
  }

  requestEnd(labels: RequestLabels, status: number, durationMs: number, proxyError?: string): void {
    const cells = this.route(labels);
    cells.inFlight.value--;
    this.duration.observe(cells.duration, durationMs);
    const failure = status >= 500 || proxyError !== undefined;
    const outcome = status * 2 + (failure ? 1 : 0);
    let counter = cells.byOutcome.get(outcome);
    if (counter === undefined) {
      const key = `${labels.listener}\0${labels.route}\0${labels.cluster}\0${outcome}`;
      counter = this.requests.cell(key, {
        ...cells.labels, code: String(status), classification: failure ? 'failure' : 'success',
      });
      cells.byOutcome.set(outcome, counter);
    }
    counter.value++;
  }

  connectionOpen(listener: string, protocol: string): void {
    const cells = this.connection(listener, protocol);
    cells.open.value++;
    cells.total.value++;
  }

  connectionClose(listener: string, protocol: string, bytesIn: number, bytesOut: number): void {
    const cells = this.connection(listener, protocol);
    cells.open.value--;
    cells.bytesIn.value += bytesIn;
    cells.bytesOut.value += bytesOut;
  }

  /** A config reload was applied (`ok`) or refused. Not on the ProxyMetrics interface: the control plane calls it. */
  configReload(ok: boolean): void {
    const result = ok ? 'success' : 'failure';
    this.reloads.cell(result, { result }).value++;
  }

  /** Prometheus text exposition of everything on the registry. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private route(labels: RequestLabels): RouteCells {
    let byRoute = this.routes.get(labels.listener);
    if (byRoute === undefined) this.routes.set(labels.listener, (byRoute = new Map()));
    let byCluster = byRoute.get(labels.route);
    if (byCluster === undefined) byRoute.set(labels.route, (byCluster = new Map()));
    let cells = byCluster.get(labels.cluster);
    if (cells === undefined) {
      const key = `${labels.listener}\0${labels.route}\0${labels.cluster}`;
      // Copy: the caller's object may be reused or mutated after this call.
      const own = { listener: labels.listener, route: labels.route, cluster: labels.cluster };
      cells = {
        labels: own,
        inFlight: this.inFlight.cell(key, own),
        duration: this.duration.cell(key, own),
        byOutcome: new Map(),
      };
      byCluster.set(labels.cluster, cells);
    }
    return cells;
  }

  private connection(listener: string, protocol: string): ConnectionCells {
    let byProtocol = this.connections.get(listener);
    if (byProtocol === undefined) this.connections.set(listener, (byProtocol = new Map()));
    let cells = byProtocol.get(protocol);
    if (cells === undefined) {
      const key = `${listener}\0${protocol}`;
      const labels = { listener, protocol };
      cells = {
        open: this.connectionsOpen.cell(key, labels),
        total: this.connectionsTotal.cell(key, labels),
        // Bytes are per listener (both protocols add up into the same series).
        bytesIn: this.bytes.cell(`${listener}\0in`, { listener, direction: 'in' }),
        bytesOut: this.bytes.cell(`${listener}\0out`, { listener, direction: 'out' }),
      };
      byProtocol.set(protocol, cells);
    }
    return cells;
  }
}
