// Defaults for every optional config field, in one place so docs/configuration.md and the
// loader cannot drift apart. Durations in milliseconds, sizes in bytes.

export const DEFAULTS = {
  adminAddress: '127.0.0.1:4191',
  logLevel: 'info',
  accessLog: false,
  shutdownGracePeriodMs: 30_000,
  detectTimeoutMs: 10_000,
  maxHeaderBytes: 16 * 1024,
  idleTimeoutMs: 60_000,
  headersTimeoutMs: 60_000,
  streamIdleTimeoutMs: 300_000,
  routeTimeoutMs: 15_000,
  backendWeight: 1,
  clusterProtocol: 'http1',
  connectTimeoutMs: 5_000,
  maxConnectionsPerEndpoint: 128,
  failStrategy: 'close',
  pluginMaxMemoryBytes: 64 * 1024 * 1024,
} as const;

/** Name of a route that has none: its position, so metrics and logs can still tell routes apart. */
export function defaultRouteName(index: number): string {
  return `route-${index}`;
}
