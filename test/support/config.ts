// Builders for the config objects integration tests hand to startRemora (file keys as in
// shared/docs/interface.md; addresses are replaced by 127.0.0.1:0 when started).

export interface RouteSpec {
  name: string;
  match: Record<string, unknown>;
  cluster?: string;
  backends?: { cluster: string; weight: number }[];
  timeout?: string;
  plugins?: string[];
}

export interface ClusterSpec {
  name: string;
  endpoints: string[];
  protocol?: 'http1' | 'http2' | 'auto';
  [key: string]: unknown;
}

/** One listener named `main` with the given routes and clusters; `extra` merges at the top level. */
export function proxyConfig(options: {
  routes: RouteSpec[];
  clusters: ClusterSpec[];
  listener?: Record<string, unknown>;
  log?: { level?: string; accessLog?: boolean };
  extra?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    admin: { address: '127.0.0.1:0' },
    log: { level: 'info', accessLog: false, ...options.log },
    listeners: [{ name: 'main', address: '127.0.0.1:0', ...options.listener, routes: options.routes }],
    clusters: options.clusters,
    ...options.extra,
  };
}

/** Everything to one cluster `app` at `endpoint`. */
export function singleClusterConfig(endpoint: string, options: {
  protocol?: 'http1' | 'http2' | 'auto';
  listener?: Record<string, unknown>;
  log?: { level?: string; accessLog?: boolean };
  timeout?: string;
  extra?: Record<string, unknown>;
} = {}): Record<string, unknown> {
  return proxyConfig({
    routes: [{ name: 'default', match: { pathPrefix: '/' }, cluster: 'app', ...(options.timeout ? { timeout: options.timeout } : {}) }],
    clusters: [{ name: 'app', endpoints: [endpoint], protocol: options.protocol ?? 'http1' }],
    listener: options.listener,
    log: options.log,
    extra: options.extra,
  });
}
