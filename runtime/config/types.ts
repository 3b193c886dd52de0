// The effective configuration every part of the runtime consumes.
// `load.ts` turns a YAML/JSON file (validated against `schema.ts`) into this shape:
// defaults filled in, durations converted to milliseconds, relative paths resolved
// against the config file's folder. Field names follow ../../docs/configuration.md.

/** Top-level configuration. */
export interface Config {
  /** Absolute path of the file this came from ("<embedded>" for the demo default). */
  source: string;
  admin: AdminConfig;
  log: LogConfig;
  /** How long SIGTERM/SIGINT waits for in-flight requests before exiting. Default 30s. */
  shutdownGracePeriodMs: number;
  listeners: ListenerConfig[];
  clusters: ClusterConfig[];
  plugins: PluginConfig[];
}

export interface AdminConfig {
  /** host:port of the admin server (/metrics, /ready, /live, /config, /plugins). Default 127.0.0.1:4191. */
  address: string;
}

export interface LogConfig {
  /** pino level: trace | debug | info | warn | error | fatal | silent. `REMORA_LOG` overrides. Default info. */
  level: string;
  /** One JSON line per proxied request. Default false. */
  accessLog: boolean;
}

export interface ListenerConfig {
  name: string;
  /** host:port; port 0 picks a free port (see the admin `/config` for the bound one). */
  address: string;
  /** Time to wait for the first bytes before treating the connection as opaque TCP. Default 10s. */
  detectTimeoutMs: number;
  /** Cluster for traffic that is neither HTTP nor TLS (opaque TCP). Default: the first route's cluster. */
  defaultCluster?: string;
  /** Terminates TLS on this listener when a ClientHello arrives (ALPN h2, http/1.1). */
  tls?: TlsConfig;
  /** Limit on an HTTP/1 request head and an HTTP/2 header list, in bytes. Default 16384 (16 KiB). */
  maxHeaderBytes: number;
  /** Idle keep-alive timeout for downstream connections. Default 60s. */
  idleTimeoutMs: number;
  /** HTTP/1: a request head must arrive whole within this, else 408 (slow-loris). 0 disables. Default 60s. */
  headersTimeoutMs: number;
  /**
   * A request/response (HTTP/1 connection mid-exchange, HTTP/2 stream) that moves no byte either way for
   * this long ends with 408, or is cut once the response started (a stalled upload would hold an upstream
   * connection forever). 0 disables. Default 5m, Envoy's stream_idle_timeout.
   */
  streamIdleTimeoutMs: number;
  /** Plugins run on opaque TCP connections of this listener (proxy-wasm network filters). */
  tcpPlugins: string[];
  routes: RouteConfig[];
}

export interface TlsConfig {
  /** PEM certificate chain: absolute path after loading. */
  certFile: string;
  /** PEM private key: absolute path after loading. */
  keyFile: string;
}

export interface RouteMatch {
  /** Exact path (without query). */
  path?: string;
  pathPrefix?: string;
  /** JavaScript regular expression matched against the whole path (anchored). */
  pathRegex?: string;
  /** HTTP method, upper case. */
  method?: string;
  /** Exact header values; names lower case. */
  headers?: Record<string, string>;
  /** :authority / Host without port, lower case. */
  host?: string;
}

export interface WeightedBackend {
  cluster: string;
  weight: number;
}

export interface RouteConfig {
  name: string;
  match: RouteMatch;
  /** Plugin names from `plugins`, run in this order on requests and in reverse on responses. */
  plugins: string[];
  /** Always at least one entry; a plain `cluster: x` becomes `[{cluster: x, weight: 1}]`. */
  backends: WeightedBackend[];
  /** Whole-request timeout (until response headers); 504 after it. Default 15s; 0 disables. */
  timeoutMs: number;
}

export type ClusterProtocol = 'http1' | 'http2' | 'auto';

export interface ClusterConfig {
  name: string;
  /** host:port entries. */
  endpoints: string[];
  /** http1, http2 (h2c prior knowledge) or auto (http1 unless the request came in as HTTP/2). Default http1. */
  protocol: ClusterProtocol;
  /** TCP connect timeout per endpoint. Default 5s. */
  connectTimeoutMs: number;
  /** Upper bound on pooled connections per endpoint. Default 128 (HTTP/1). */
  maxConnectionsPerEndpoint: number;
}

export type FailStrategy = 'close' | 'open' | 'reload';

export interface PluginConfig {
  name: string;
  /** Absolute path to the .wasm file after loading (file:// and relative paths resolved). */
  path: string;
  /** Optional hex sha256 pin, checked before load. */
  sha256?: string;
  /** Plugin configuration bytes as given to `proxy_on_configure` (strings as is, others as JSON). */
  config: string;
  /** VM configuration bytes as given to `proxy_on_vm_start`. */
  vmConfig: string;
  vmId: string;
  rootId: string;
  failStrategy: FailStrategy;
  /** Environment visible to the plugin through WASI environ_get. */
  env: Record<string, string>;
  /** Cap on the plugin's linear memory, in bytes. Default 64 MiB. */
  maxMemoryBytes: number;
}
