// Public surface of runtime/metrics. The data plane imports only the types (types.ts).
export { PrometheusProxyMetrics, DURATION_BUCKETS_MS } from './proxy-metrics.ts';
export type { ProxyMetrics, RequestLabels } from './types.ts';
export { exportPluginMetrics, prometheusName } from './plugin-cells.ts';
export type { PluginMetricCell, PluginMetricSource } from './plugin-cells.ts';
