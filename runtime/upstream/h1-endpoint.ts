// HTTP/1.1 endpoint: an undici Pool with keep-alive. The exchange is passed to undici's dispatch() as is, so
// response chunks go straight into the downstream response without intermediate streams.
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Endpoint, UpstreamHandler, UpstreamRequest } from './types.ts';

export interface H1EndpointOptions {
  connectTimeoutMs: number;
  maxConnections: number;
}

export class H1Endpoint implements Endpoint {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  private readonly pool: Pool;

  constructor(host: string, port: number, options: H1EndpointOptions) {
    this.host = host;
    this.port = port;
    this.address = `${host}:${port}`;
    const h = host.includes(':') ? `[${host}]` : host;
    this.pool = new Pool(`http://${h}:${port}`, {
      connections: options.maxConnections,
      connectTimeout: options.connectTimeoutMs,
      keepAliveTimeout: 4_000,
      pipelining: 1,
      // Limits are the downstream listener's business; do not refuse what the upstream sends.
      maxHeaderSize: 64 * 1024,
      // Streams (SSE, long polls) may idle between chunks for long; the route timeout covers the head.
      bodyTimeout: 0,
    });
  }

  dispatch(req: UpstreamRequest, handler: UpstreamHandler): void {
    const opts: Dispatcher.DispatchOptions = {
      path: req.path,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body,
      headersTimeout: req.timeoutMs,
      bodyTimeout: 0,
    };
    try {
      this.pool.dispatch(opts, handler as unknown as Dispatcher.DispatchHandler);
    } catch (err) {
      handler.onError(err as Error);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  destroy(): void {
    this.pool.destroy().catch(() => {});
  }
}
