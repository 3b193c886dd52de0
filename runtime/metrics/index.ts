// Public surface of runtime/metrics. The data plane imports only the types (types.ts).
export { PrometheusProxyMetrics, DURATION_BUCKETS_MS } from './proxy-metrics.ts';
export { PluginMetricSink, PluginMetricError, prometheusName } from './plugin-metrics.ts';
export type { PluginMetricType } from './plugin-metrics.ts';
export type { ProxyMetrics, RequestLabels } from './types.ts';
export { exportPluginMetrics } from './plugin-cells.ts';
export type { PluginMetricCell, PluginMetricSource } from './plugin-cells.ts';
