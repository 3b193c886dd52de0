// Public surface of the proxy-wasm host. The embedding proxy implements PluginHost / StreamHost
// and drives HttpStream / TcpStream; nothing here knows about sockets.

export * from './types.ts';
export type * from './host.ts';
export { prop, encodeProperty, type PropertyValue } from './hostcalls/property-encoding.ts';
export { serializePairs, parsePairs } from './memory/pairs.ts';
export { loadPlugin, Plugin, PluginLoadError, VmRegistry, defaultRegistry, detectAbiVersion, DEFAULT_MAX_MEMORY_BYTES } from './plugin.ts';
export type { PluginSpec, PluginState } from './plugin.ts';
export { HttpStream } from './context/http-stream.ts';
export { TcpStream } from './context/tcp-stream.ts';
export { metricStore, MetricStore, HISTOGRAM_BUCKETS, type MetricCell } from './shared/metric-store.ts';
export { sharedData } from './shared/shared-data.ts';
export { sharedQueues } from './shared/shared-queue.ts';
export { standardForeignFunction } from './foreign/index.ts';
