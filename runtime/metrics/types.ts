// The metrics surface the data plane calls. runtime/metrics implements it with prom-client;
// tests pass a no-op object. Kept as a type-only module so the data plane never imports prom-client.

/** Labels that identify one proxied request. */
export interface RequestLabels {
  listener: string;
  /** Route name; "" when no route matched. */
  route: string;
  /** Cluster name; "" when no cluster was chosen. */
  cluster: string;
}

export interface ProxyMetrics {
  /** A request was accepted and routed (or failed to route): in-flight +1. */
  requestStart(labels: RequestLabels): void;
  /** The request ended: in-flight -1, counted by status; `proxyError` is the `remora-proxy-error` reason if any. */
  requestEnd(labels: RequestLabels, status: number, durationMs: number, proxyError?: string): void;
  /** A downstream connection was accepted; protocol is http1 | http2 | tcp | tls. */
  connectionOpen(listener: string, protocol: string): void;
  /** The downstream connection closed, with bytes read from and written to the client. */
  connectionClose(listener: string, protocol: string, bytesIn: number, bytesOut: number): void;
}
