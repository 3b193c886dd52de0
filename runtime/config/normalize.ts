// Raw (validated) file → the normalized `Config` every part of the runtime consumes:
// defaults filled in, durations in ms, sizes in bytes, names and values in canonical case.
// File locations are resolved separately (files.ts) because that needs I/O.
import { DEFAULTS, defaultRouteName } from './defaults.ts';
import { parseDuration } from './duration.ts';
import { parseSize } from './size.ts';
import type { Duration, RawConfig, RawListener, RawPlugin, RawRoute } from './raw.ts';
import type {
  ClusterConfig, ClusterProtocol, Config, FailStrategy, ListenerConfig, PluginConfig, RouteConfig, RouteMatch,
} from './types.ts';

/** `pluginPath` maps a plugin (by index) to its absolute .wasm path; `tlsPath` resolves cert/key. */
export interface Resolved {
  pluginPath: (index: number) => string;
  tlsPath: (file: string) => string;
}

export function normalize(raw: RawConfig, source: string, resolved: Resolved): Config {
  const clusters: ClusterConfig[] = (raw.clusters ?? []).map((c) => ({
    name: c.name,
    endpoints: [...c.endpoints],
    protocol: (c.protocol ?? DEFAULTS.clusterProtocol) as ClusterProtocol,
    connectTimeoutMs: ms(c.connectTimeout, DEFAULTS.connectTimeoutMs),
    maxConnectionsPerEndpoint: c.maxConnectionsPerEndpoint ?? DEFAULTS.maxConnectionsPerEndpoint,
  }));
  return {
    source,
    admin: { address: raw.admin?.address ?? DEFAULTS.adminAddress },
    log: {
      level: raw.log?.level ?? DEFAULTS.logLevel,
      accessLog: raw.log?.accessLog ?? DEFAULTS.accessLog,
    },
    shutdownGracePeriodMs: ms(raw.shutdownGracePeriod, DEFAULTS.shutdownGracePeriodMs),
    listeners: raw.listeners.map((l) => listener(l, resolved)),
    clusters,
    plugins: (raw.plugins ?? []).map((p, i) => plugin(p, resolved.pluginPath(i))),
  };
}

function listener(l: RawListener, resolved: Resolved): ListenerConfig {
  const routes = (l.routes ?? []).map(route);
  const out: ListenerConfig = {
    name: l.name,
    address: l.address,
    detectTimeoutMs: ms(l.detectTimeout, DEFAULTS.detectTimeoutMs),
    maxHeaderBytes: l.maxHeaderBytes === undefined ? DEFAULTS.maxHeaderBytes : parseSize(l.maxHeaderBytes)!,
    idleTimeoutMs: ms(l.idleTimeout, DEFAULTS.idleTimeoutMs),
    headersTimeoutMs: ms(l.headersTimeout, DEFAULTS.headersTimeoutMs),
    streamIdleTimeoutMs: ms(l.streamIdleTimeout, DEFAULTS.streamIdleTimeoutMs),
    tcpPlugins: [...(l.tcpPlugins ?? [])],
    routes,
  };
  // Only when given: a fallback to a route's cluster would hand non-HTTP bytes to an HTTP app past every
  // route plugin (an upstream that accepts `get /admin` then serves it without the auth plugin).
  if (l.defaultCluster !== undefined) out.defaultCluster = l.defaultCluster;
  if (l.tls) out.tls = { certFile: resolved.tlsPath(l.tls.cert), keyFile: resolved.tlsPath(l.tls.key) };
  return out;
}

function route(r: RawRoute, index: number): RouteConfig {
  const backends = r.backends
    ? r.backends.map((b) => ({ cluster: b.cluster, weight: b.weight ?? DEFAULTS.backendWeight }))
    : [{ cluster: r.cluster!, weight: DEFAULTS.backendWeight }];
  return {
    name: r.name ?? defaultRouteName(index),
    match: match(r.match ?? {}),
    plugins: [...(r.plugins ?? [])],
    backends,
    timeoutMs: ms(r.timeout, DEFAULTS.routeTimeoutMs),
  };
}

function match(m: NonNullable<RawRoute['match']>): RouteMatch {
  const out: RouteMatch = {};
  if (m.path !== undefined) out.path = m.path;
  if (m.pathPrefix !== undefined) out.pathPrefix = m.pathPrefix;
  if (m.pathRegex !== undefined) out.pathRegex = m.pathRegex;
  if (m.method !== undefined) out.method = m.method.toUpperCase();
  if (m.host !== undefined) out.host = m.host.toLowerCase();
  if (m.headers !== undefined) {
    out.headers = {};
    for (const [k, v] of Object.entries(m.headers)) out.headers[k.toLowerCase()] = String(v);
  }
  return out;
}

function plugin(p: RawPlugin, path: string): PluginConfig {
  const out: PluginConfig = {
    name: p.name,
    path,
    config: pluginBytes(p.config),
    vmConfig: pluginBytes(p.vmConfig),
    vmId: p.vmId ?? '',
    rootId: p.rootId ?? '',
    failStrategy: (p.failStrategy ?? DEFAULTS.failStrategy) as FailStrategy,
    env: Object.fromEntries(Object.entries(p.env ?? {}).map(([k, v]) => [k, String(v)])),
    maxMemoryBytes: p.maxMemory === undefined ? DEFAULTS.pluginMaxMemoryBytes : parseSize(p.maxMemory)!,
  };
  if (p.sha256 !== undefined) out.sha256 = p.sha256.toLowerCase();
  return out;
}

/** Strings reach the plugin as is; any other JSON value as its JSON text. */
function pluginBytes(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function ms(value: Duration | undefined, fallback: number): number {
  return value === undefined ? fallback : parseDuration(value)!;
}
