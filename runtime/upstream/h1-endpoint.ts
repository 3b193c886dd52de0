// HTTP/1.1 endpoint: an undici Pool with keep-alive. The exchange is passed to undici's dispatch() as is, so
// response chunks go straight into the downstream response without intermediate streams.
import * as http from 'node:http';
import { Pool } from './undici-pool.ts';
import type { Dispatcher } from 'undici';
import { cleanTrailers } from '../http/headers.ts';
import type { Endpoint, UpstreamHandler, UpstreamRequest } from './types.ts';
import { UpstreamErrorCode, upstreamError } from './types.ts';
import { earlyAnswerConnector } from './early-answer-connector.ts';

export interface H1EndpointOptions {
  connectTimeoutMs: number;
  maxConnections: number;
}

export class H1Endpoint implements Endpoint {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  private readonly pool: Pool;
  /** node:http keep-alive agent, only for requests that carry trailers (undici cannot send request trailers). */
  private trailerAgent: http.Agent | undefined;
  private readonly maxConnections: number;

  constructor(host: string, port: number, options: H1EndpointOptions) {
    this.host = host;
    this.port = port;
    this.address = `${host}:${port}`;
    this.maxConnections = options.maxConnections;
    const h = host.includes(':') ? `[${host}]` : host;
    this.pool = new Pool(`http://${h}:${port}`, {
      connections: options.maxConnections,
      connect: earlyAnswerConnector(options.connectTimeoutMs),
      keepAliveTimeout: 4_000,
      pipelining: 1,
      // Limits are the downstream listener's business; do not refuse what the upstream sends.
      maxHeaderSize: 64 * 1024,
      // Streams (SSE, long polls) may idle between chunks for long; the route timeout covers the head.
      bodyTimeout: 0,
    });
  }

  wouldQueue(): boolean {
    const stats = this.pool.stats;
    return stats.free === 0 && stats.connected >= this.maxConnections;
  }

  dispatch(req: UpstreamRequest, handler: UpstreamHandler): void {
    if (req.expectsTrailers && req.body !== null) {
      this.dispatchWithTrailers(req, handler);
      return;
    }
    // headersTimeout is undici's coarse timer (about half a second of slack), cheap on the hot path.
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

  /**
   * The request declared trailers (`Trailer:`): undici's HTTP/1 client writes the final chunk without
   * them, so this request goes through node:http, which can (`addTrailers`), on its own keep-alive agent.
   */
  private dispatchWithTrailers(req: UpstreamRequest, handler: UpstreamHandler): void {
    this.trailerAgent ??= new http.Agent({ keepAlive: true, maxSockets: this.maxConnections });
    const body = req.body as NonNullable<UpstreamRequest['body']>;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      out.destroy();
      handler.onError(err);
    };
    const out = http.request({
      host: this.host,
      port: this.port,
      method: req.method,
      path: req.path,
      headers: req.headers,
      agent: this.trailerAgent,
    });
    handler.onConnect((err) => fail(err ?? new Error('request aborted')));
    if (req.timeoutMs > 0) timer = setTimeout(() => fail(upstreamError('upstream timeout', UpstreamErrorCode.timeout)), req.timeoutMs);
    out.on('error', fail);
    out.on('response', (res) => {
      if (timer !== undefined) clearTimeout(timer);
      res.on('error', fail);
      res.on('aborted', () => fail(new Error('upstream reset')));
      res.on('data', (chunk: Buffer) => {
        if (!done && !handler.onData(chunk)) res.pause();
      });
      res.on('end', () => {
        if (done) return;
        if (!res.complete) return fail(new Error('upstream reset'));
        done = true;
        handler.onComplete(res.rawTrailers);
      });
      if (!handler.onHeaders(res.statusCode ?? 502, res.rawHeaders, () => res.resume(), res.statusMessage ?? '')) res.pause();
    });
    body.on('error', (err) => fail(err));
    body.on('end', () => {
      const trailers = (body as { trailers?: Record<string, string | string[] | undefined> }).trailers;
      if (trailers !== undefined) {
        cleanTrailers(trailers);
        const pairs: Array<[string, string]> = [];
        for (const [k, v] of Object.entries(trailers)) {
          if (v === undefined) continue;
          for (const x of Array.isArray(v) ? v : [v]) pairs.push([k, x]);
        }
        if (pairs.length > 0) out.addTrailers(pairs);
      }
      out.end();
    });
    body.pipe(out, { end: false });
  }

  close(): Promise<void> {
    this.trailerAgent?.destroy();
    return this.pool.close();
  }

  destroy(): void {
    this.trailerAgent?.destroy();
    this.pool.destroy().catch(() => {});
  }
}
