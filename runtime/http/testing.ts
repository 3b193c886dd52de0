// Helpers for the data plane's unit tests: configs, a quiet logger, recording metrics, real upstreams.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { ClusterConfig, Config, ListenerConfig, RouteConfig } from '../config/types.ts';
import type { FilterFactory } from '../filter/types.ts';
import type { ProxyMetrics, RequestLabels } from '../metrics/types.ts';
import { Proxy } from '../proxy.ts';

export function route(name: string, cluster: string | Array<{ cluster: string; weight: number }>, extra: Partial<RouteConfig> = {}): RouteConfig {
  return {
    name,
    match: { pathPrefix: '/' },
    plugins: [],
    backends: typeof cluster === 'string' ? [{ cluster, weight: 1 }] : cluster,
    timeoutMs: 15_000,
    ...extra,
  };
}

export function cluster(name: string, endpoints: string[], extra: Partial<ClusterConfig> = {}): ClusterConfig {
  return { name, endpoints, protocol: 'http1', connectTimeoutMs: 2_000, maxConnectionsPerEndpoint: 16, ...extra };
}

export function listener(name: string, routes: RouteConfig[], extra: Partial<ListenerConfig> = {}): ListenerConfig {
  return {
    name,
    address: '127.0.0.1:0',
    detectTimeoutMs: 10_000,
    maxHeaderBytes: 16_384,
    idleTimeoutMs: 60_000,
    headersTimeoutMs: 60_000,
    streamIdleTimeoutMs: 300_000,
    tcpPlugins: [],
    routes,
    ...extra,
  };
}

export function config(listeners: ListenerConfig[], clusters: ClusterConfig[], accessLog = false): Config {
  return {
    source: '<test>',
    admin: { address: '127.0.0.1:0' },
    log: { level: 'silent', accessLog },
    shutdownGracePeriodMs: 1_000,
    listeners,
    clusters,
    plugins: [],
  };
}

/** Captures log records in memory (for access-log and `listener ready` assertions). */
export function memoryLogger(): { log: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    {
      write(line: string) {
        records.push(JSON.parse(line));
      },
    },
  );
  return { log, records };
}

export class RecordingMetrics implements ProxyMetrics {
  readonly ended: Array<{ labels: RequestLabels; status: number; proxyError?: string }> = [];
  readonly opened: Array<{ listener: string; protocol: string }> = [];
  readonly closed: Array<{ listener: string; protocol: string; bytesIn: number; bytesOut: number }> = [];
  inflight = 0;
  requestStart(_labels: RequestLabels): void {
    this.inflight++;
  }
  requestEnd(labels: RequestLabels, status: number, _durationMs: number, proxyError?: string): void {
    this.inflight--;
    this.ended.push({ labels: { ...labels }, status, proxyError });
  }
  connectionOpen(listener: string, protocol: string): void {
    this.opened.push({ listener, protocol });
  }
  connectionClose(listener: string, protocol: string, bytesIn: number, bytesOut: number): void {
    this.closed.push({ listener, protocol, bytesIn, bytesOut });
  }
}

export interface Started {
  proxy: Proxy;
  metrics: RecordingMetrics;
  records: Array<Record<string, unknown>>;
  /** Base URL of listener `name` (default: the first). */
  url(name?: string): string;
  port(name?: string): number;
  close(): Promise<void>;
}

export async function startProxy(cfg: Config, filters?: FilterFactory): Promise<Started> {
  const { log, records } = memoryLogger();
  const metrics = new RecordingMetrics();
  const proxy = new Proxy(cfg, { log, metrics, filters });
  await proxy.start();
  const first = cfg.listeners[0].name;
  const port = (name = first) => {
    const a = proxy.addresses().get(name);
    if (a === undefined) throw new Error(`no listener ${name}`);
    return a.port;
  };
  return {
    proxy,
    metrics,
    records,
    port,
    url: (name = first) => `http://127.0.0.1:${port(name)}`,
    close: () => proxy.shutdown(200),
  };
}

/** A real HTTP/1 upstream on a free port. */
export async function httpUpstream(handler: http.RequestListener): Promise<{ server: http.Server; address: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound then released). */
export async function deadAddress(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

/** Echo upstream: answers with method, url and received headers as JSON, body echoed under `body`. */
export function echoHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      trailers: req.trailers,
      body: Buffer.concat(chunks).toString(),
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}
