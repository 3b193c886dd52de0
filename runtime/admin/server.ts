// The admin server: what operators and orchestrators look at, on its own port (default 4191).
//   GET /metrics  Prometheus text from the proxy's Registry
//   GET /ready    503 until every listener is bound (and again while draining), then 200
//   GET /live     200 while the process serves at all
//   GET /config   the effective (normalized) config as JSON, with bound addresses
//   GET /plugins  JSON array describing loaded plugins (from the Wasm host, [] without one)
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { formatAddress, parseAddress } from '../config/address.ts';
import type { Logger } from '../log/logger.ts';

export type PluginsProvider = () => unknown[] | Promise<unknown[]>;

export interface AdminOptions {
  /** host:port to bind; port 0 picks a free one. */
  address: string;
  log: Logger;
  registry: Registry;
  /** The effective config to show on /config (called per request, so reloads show up). */
  config: () => unknown;
  pluginsProvider?: PluginsProvider;
}

export class AdminServer {
  private readonly options: AdminOptions;
  private readonly server: Server;
  private ready = false;
  private pluginsProvider: PluginsProvider;

  constructor(options: AdminOptions) {
    this.options = options;
    this.pluginsProvider = options.pluginsProvider ?? (() => []);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        options.log.error({ err: e, path: req.url }, 'admin request failed');
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
        else res.destroy();
      });
    });
    // Scrapers keep connections alive; do not let them hold shutdown.
    this.server.keepAliveTimeout = 5_000;
  }

  /** Binds and logs `admin ready` with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    const hp = parseAddress(this.options.address);
    if (!hp) throw new Error(`admin.address: expected host:port, got ${this.options.address}`);
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        reject(e.code === 'EADDRINUSE' ? new Error(`admin address ${this.options.address} is already in use (port ${hp.port})`) : e);
      };
      this.server.once('error', onError);
      this.server.listen(hp.port, hp.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const bound = this.address()!;
    this.options.log.info({ address: formatAddress(bound.host, bound.port) }, 'admin ready');
    return bound;
  }

  address(): { host: string; port: number } | undefined {
    const a = this.server.address() as AddressInfo | null;
    return a ? { host: a.address, port: a.port } : undefined;
  }

  /** /ready answers 200 only while this is true. */
  setReady(ready: boolean): void {
    this.ready = ready;
  }

  /** The Wasm host registers what /plugins shows. */
  setPluginsProvider(provider: PluginsProvider): void {
    this.pluginsProvider = provider;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/metrics':
        send(res, 200, this.options.registry.contentType, await this.options.registry.metrics());
        return;
      case '/ready':
        send(res, this.ready ? 200 : 503, 'text/plain', this.ready ? 'ready\n' : 'not ready\n');
        return;
      case '/live':
        send(res, 200, 'text/plain', 'live\n');
        return;
      case '/config':
        sendJson(res, 200, this.options.config());
        return;
      case '/plugins':
        sendJson(res, 200, await this.pluginsProvider());
        return;
      default:
        sendJson(res, 404, { error: 'not found', endpoints: ['/metrics', '/ready', '/live', '/config', '/plugins'] });
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', `${JSON.stringify(body, null, 2)}\n`);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
