// The config file as written, once it has passed the JSON Schema (see schema.ts).
// Keys are camelCase, durations and sizes mostly strings; `normalize.ts` turns this into `Config`.

/** A duration as written: a string such as `5s`, or a bare 0 (YAML reads `0` as a number). */
export type Duration = string | number;

export type RawPluginBytes = unknown;

export interface RawConfig {
  admin?: { address?: string };
  log?: { level?: string; accessLog?: boolean };
  shutdownGracePeriod?: Duration;
  listeners: RawListener[];
  clusters?: RawCluster[];
  plugins?: RawPlugin[];
}

export interface RawListener {
  name: string;
  address: string;
  detectTimeout?: Duration;
  defaultCluster?: string;
  tls?: { cert: string; key: string };
  maxHeaderBytes?: number | string;
  idleTimeout?: Duration;
  headersTimeout?: Duration;
  streamIdleTimeout?: Duration;
  tcpPlugins?: string[];
  routes?: RawRoute[];
}

export interface RawRoute {
  name?: string;
  match?: {
    path?: string;
    pathPrefix?: string;
    pathRegex?: string;
    method?: string;
    headers?: Record<string, string | number | boolean>;
    host?: string;
  };
  plugins?: string[];
  cluster?: string;
  backends?: Array<{ cluster: string; weight?: number }>;
  timeout?: Duration;
}

export interface RawCluster {
  name: string;
  endpoints: string[];
  protocol?: 'http1' | 'http2' | 'auto';
  connectTimeout?: Duration;
  maxConnectionsPerEndpoint?: number;
}

export interface RawPlugin {
  name: string;
  url: string;
  sha256?: string;
  config?: RawPluginBytes;
  vmConfig?: RawPluginBytes;
  vmId?: string;
  rootId?: string;
  failStrategy?: 'close' | 'open' | 'reload';
  env?: Record<string, string | number | boolean>;
  maxMemory?: number | string;
}
