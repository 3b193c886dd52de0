// The config file as written, once it has passed the JSON Schema (see schema.ts).
// Keys are camelCase, durations and sizes are strings; `normalize.ts` turns this into `Config`.

export type RawPluginBytes = unknown;

export interface RawConfig {
  admin?: { address?: string };
  log?: { level?: string; accessLog?: boolean };
  shutdownGracePeriod?: string;
  listeners: RawListener[];
  clusters?: RawCluster[];
  plugins?: RawPlugin[];
}

export interface RawListener {
  name: string;
  address: string;
  detectTimeout?: string;
  defaultCluster?: string;
  tls?: { cert: string; key: string };
  maxHeaderBytes?: number | string;
  idleTimeout?: string;
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
  timeout?: string;
}

export interface RawCluster {
  name: string;
  endpoints: string[];
  protocol?: 'http1' | 'http2' | 'auto';
  connectTimeout?: string;
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
