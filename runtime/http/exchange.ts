// One proxied request: route it, forward it upstream and write the answer into the downstream response.
// The exchange object itself is the upstream handler (undici's dispatch handler shape), so the hot path
// creates no closures, no promises and no intermediate streams: upstream chunks are written straight into
// the downstream response, and backpressure is undici's pause (onData returning false) + 'drain'.
// Routes with plugins hand the request and response through a FilterChain (runtime/filter/chain.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import * as http2 from 'node:http2';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import type { HeaderMap } from '../filter/types.ts';
import { FilterChain } from '../filter/chain.ts';
import type { ConnectionFacts, ListenerRuntime, Snapshot } from '../listener/context.ts';
import { factsOf } from '../listener/context.ts';
import type { RequestLabels } from '../metrics/types.ts';
import type { Route } from '../router/router.ts';
import { pickCluster } from '../router/router.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { Endpoint, UpstreamHandler, UpstreamRequest } from '../upstream/types.ts';
import { lowerHeaderName } from '../upstream/header-names.ts';
import { UpstreamErrorCode, upstreamError } from '../upstream/types.ts';
import type { RequestHead } from './headers.ts';
import { buildRequestHead, flatToRequestMap, mapToObject, objectToMap, requestMapToHead, requestMapUnchanged } from './headers.ts';
import { openTunnel, type UpgradeSocket } from './upgrade.ts';

export type DownstreamRequest = IncomingMessage | http2.Http2ServerRequest;
export type DownstreamResponse = ServerResponse | http2.Http2ServerResponse;

/** Reasons set in `remora-proxy-error`. */
export const ProxyError = {
  noRoute: 'no route',
  noCluster: 'unknown cluster',
  timeout: 'upstream timeout',
  connect: 'upstream connect failed',
  reset: 'upstream reset',
  badRequest: 'request not valid for the upstream protocol',
  streamIdle: 'stream idle timeout',
  filter: 'filter failed',
  downstreamClosed: 'downstream closed',
} as const;

/**
 * Errors with which the upstream client refuses the request itself before sending it (node:http2's
 * header checks, undici's argument checks): the client's request is at fault, so 400, not 502.
 */
const INVALID_FOR_UPSTREAM = new Set([
  'ERR_HTTP2_HEADER_SINGLE_VALUE',
  'ERR_HTTP2_INVALID_CONNECTION_HEADERS',
  'ERR_HTTP2_INVALID_HEADER_VALUE',
  'ERR_HTTP2_INVALID_PSEUDOHEADER',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_CHAR',
  'UND_ERR_INVALID_ARG',
]);

const kExchange = Symbol('remora.exchange');
const { NGHTTP2_INTERNAL_ERROR } = http2.constants;

/** Exchange phases. */
const Phase = { routing: 0, upstream: 1, responding: 2, done: 3 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

export class HttpExchange implements UpstreamHandler {
  readonly runtime: ListenerRuntime;
  readonly snapshot: Snapshot;
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  /** The response seen through the methods HTTP/1 and HTTP/2 compat responses share. */
  private readonly out: ServerResponse;
  readonly h2: boolean;
  readonly scheme: string;
  readonly head: RequestHead;
  readonly startTime: number;
  readonly startEpoch: number;
  route: Route | undefined = undefined;
  cluster: Cluster | undefined = undefined;
  endpoint: Endpoint | undefined = undefined;
  readonly labels: RequestLabels;
  status = 0;
  proxyError: string | undefined = undefined;
  details: string | undefined = undefined;
  bytesIn = 0;
  bytesOut = 0;
  upstreamResponseEpoch: number | undefined = undefined;
  endEpoch: number | undefined = undefined;
  private phase: Phase = Phase.routing;
  private resumeUpstream: (() => void) | undefined = undefined;
  private abortUpstream: ((err?: Error) => void) | undefined = undefined;
  private counted = false;
  /** The upstream request was cancelled (a filter answered locally): ignore whatever it still reports. */
  private detached = false;
  /** Set when the route has plugins. */
  chain: FilterChain | undefined = undefined;
  /** Body fed by the filter chain to the upstream client (filter path only). */
  private chainBody: (PassThrough & { trailers?: Record<string, string | string[]> }) | undefined = undefined;
  private responseHeadersDone = false;
  /** Declared `content-length` of the response written downstream, -1 when absent or not known. */
  responseBodyLength = -1;
  /** Filter path: the upstream's declared body length (-1 unknown), the body bytes received so far, and
   * the chunk that completed the body, held until the end of the message is reported. */
  upstreamBodyLength = -1;
  private upstreamBytes = 0;
  private lastChunk: Buffer | undefined = undefined;
  /** A body that arrived whole in one chunk, held so the end of stream ends the response with it in one write. */
  private wholeBody: Buffer | undefined = undefined;

  /**
   * An HTTP/1 upgrade (WebSocket) on a route with plugins: the request passes the filter chain, then the
   * connection is tunnelled to the upstream instead of forwarded. Response filters do not see the tunnel.
   */
  private readonly upgrade: UpgradeSocket | undefined;

  constructor(runtime: ListenerRuntime, req: DownstreamRequest, res: DownstreamResponse, h2: boolean, scheme: string, upgrade?: UpgradeSocket) {
    this.runtime = runtime;
    this.snapshot = runtime.snapshot;
    this.req = req;
    this.res = res;
    this.out = res as unknown as ServerResponse;
    this.h2 = h2;
    this.scheme = scheme;
    this.startTime = performance.now();
    this.startEpoch = Date.now();
    const socket = req.socket;
    this.head = buildRequestHead(
      req.method ?? 'GET',
      req.url ?? '/',
      req.rawHeaders,
      socket?.remoteAddress ?? '',
      scheme,
      h2,
      upgrade !== undefined,
    );
    this.upgrade = upgrade;
    if (h2) this.head.hasBody = !(req as http2.Http2ServerRequest).stream.endAfterHeaders;
    this.labels = { listener: runtime.name, route: '', cluster: '' };
    (res as unknown as { [kExchange]: HttpExchange })[kExchange] = this;
    res.on('close', onResponseClose);
    // listener streamIdleTimeout: node arms it on HTTP/1 sockets (server.timeout); an HTTP/2 stream gets it here.
    res.on('timeout', onResponseIdle);
    if (h2 && upgrade === undefined) {
      const idleMs = this.snapshot.listener.streamIdleTimeoutMs;
      if (idleMs > 0) (res as http2.Http2ServerResponse).setTimeout(idleMs);
    }
  }

  /** Entry point: route and forward. */
  start(): void {
    const head = this.head;
    if (head.refusal !== undefined) {
      this.errorReply(head.refusal.status, head.refusal.reason);
      return;
    }
    const route = this.snapshot.router.match(head.method, head.path, head.authority, head.headers);
    this.route = route;
    if (route !== undefined) this.labels.route = route.name;
    if (route !== undefined && route.plugins.length > 0 && this.runtime.filters !== undefined) {
      this.startWithFilters(route);
      return;
    }
    if (route === undefined) {
      this.errorReply(404, ProxyError.noRoute);
      return;
    }
    this.forward(route, this.head.hasBody ? (this.req as Readable) : null);
  }

  /** Picks a backend cluster and endpoint and dispatches the request. */
  private forward(route: Route, body: Readable | null): void {
    const name = pickCluster(route);
    const cluster = this.snapshot.clusters.get(name);
    this.labels.cluster = name;
    // Counted once the labels are final, so requestStart and requestEnd hit the same series.
    this.runtime.metrics.requestStart(this.labels);
    this.counted = true;
    if (cluster === undefined) {
      this.errorReply(503, ProxyError.noCluster);
      return;
    }
    if (this.upgrade !== undefined) {
      this.tunnel(cluster, this.upgrade);
      return;
    }
    this.cluster = cluster;
    const endpoint = cluster.pick(this.h2);
    this.endpoint = endpoint;
    cluster.inflight++;
    this.phase = Phase.upstream;
    const head = this.head;
    const upstream: UpstreamRequest = {
      method: head.method,
      path: head.path,
      headers: head.headers,
      body,
      timeoutMs: this.armRouteTimer(route.timeoutMs, endpoint.wouldQueue?.() ?? false),
      expectsTrailers: head.expectsTrailers,
    };
    endpoint.dispatch(upstream, this);
  }

  /** Upgrade mode: the socket leaves node's HTTP response and carries the upgraded protocol from here on. */
  private tunnel(cluster: Cluster, down: UpgradeSocket): void {
    (this.res as ServerResponse).detachSocket(down.socket as Socket);
    this.phase = Phase.upstream;
    openTunnel(this.head, cluster, down, this.route?.timeoutMs ?? 0, (status, proxyError) => {
      this.status = status;
      this.proxyError = proxyError;
      this.details = proxyError ?? 'via_upstream';
      this.finish();
    });
  }

  /**
   * undici's head timeout runs on its coarse timer (about 0.5 s of slack), fine for the usual seconds but
   * not for short route timeouts: those get a precise timer here and the client gets none. It also starts
   * only once the request is sent, so a request that will wait for a free connection (all of them busy,
   * e.g. with stalled uploads) gets this timer too, and the route timeout counts from dispatch as in Envoy.
   */
  private armRouteTimer(timeoutMs: number, queued: boolean): number {
    if (timeoutMs <= 0 || (timeoutMs >= PRECISE_TIMEOUT_BELOW_MS && !queued)) return timeoutMs;
    this.routeTimer = setTimeout(onRouteTimeout, timeoutMs, this);
    return 0;
  }

  private routeTimer: NodeJS.Timeout | undefined = undefined;

  private clearRouteTimer(): void {
    if (this.routeTimer !== undefined) {
      clearTimeout(this.routeTimer);
      this.routeTimer = undefined;
    }
  }

  /** The route timeout fired before response headers. */
  routeTimedOut(): void {
    this.routeTimer = undefined;
    if (this.phase !== Phase.upstream || this.detached) return;
    const abort = this.abortUpstream;
    if (abort !== undefined) {
      abort(upstreamError('upstream timeout', UpstreamErrorCode.timeout)); // onError answers 504
      return;
    }
    // Still queued for a connection: answer now; onConnect will cancel the request.
    this.detached = true;
    this.errorReply(504, ProxyError.timeout);
  }

  // ---- UpstreamHandler (called by undici or the h2 client) ----

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.phase === Phase.done || this.detached) abort(new Error(ProxyError.downstreamClosed));
  }

  onHeaders(statusCode: number, raw: Array<Buffer | string>, resume: () => void, _statusText: string): boolean {
    if (statusCode < 200 || this.phase !== Phase.upstream || this.detached) return true; // 1xx: Remora answered 100-continue itself
    this.clearRouteTimer();
    this.resumeUpstream = resume;
    this.upstreamResponseEpoch = Date.now();
    this.phase = Phase.responding;
    this.status = statusCode;
    this.details = 'via_upstream';
    if (this.chain !== undefined) {
      const map = rawToMap(raw, statusCode, this.h2, this);
      this.chain.responseHeaders(map, this.head.method === 'HEAD' || statusCode === 204 || statusCode === 304);
      return true;
    }
    try {
      if (this.h2) {
        (this.res as http2.Http2ServerResponse).writeHead(statusCode, rawToH2Object(raw, this));
      } else {
        (this.res as ServerResponse).writeHead(statusCode, rawToH1List(raw, this.runtime.draining, this));
      }
    } catch (err) {
      // Invalid upstream header: the answer cannot be relayed.
      this.runtime.log.debug({ err }, 'invalid upstream response head');
      this.phase = Phase.upstream;
      this.abortUpstream?.(err as Error);
      return false;
    }
    return true;
  }

  onTrailersOnly(statusCode: number, flat: string[]): void {
    if (this.phase !== Phase.upstream || this.detached) return;
    this.clearRouteTimer();
    this.upstreamResponseEpoch = Date.now();
    this.phase = Phase.responding;
    this.status = statusCode;
    this.details = 'via_upstream';
    if (this.chain !== undefined) {
      this.chain.responseHeaders(rawToMap(flat, statusCode, this.h2), true);
      return;
    }
    try {
      if (this.h2) this.respondEndStream(statusCode, rawToH2Object(flat));
      else {
        (this.res as ServerResponse).writeHead(statusCode, rawToH1List(flat, this.runtime.draining, this));
        this.out.end();
      }
    } catch (err) {
      this.runtime.log.debug({ err }, 'invalid upstream response head');
      this.abortDownstream();
    }
    this.finish();
  }

  /** HTTP/2 downstream: one HEADERS frame with END_STREAM (keeps gRPC trailers-only answers intact). */
  private respondEndStream(status: number, headers: Record<string, string | string[]>): void {
    const stream = (this.res as http2.Http2ServerResponse).stream;
    stream.respond({ ...headers, ':status': status }, { endStream: true });
  }

  onData(chunk: Buffer): boolean {
    if (this.phase !== Phase.responding || this.detached) return true;
    if (this.chain !== undefined) {
      this.upstreamBytes += chunk.length;
      if (this.upstreamBytes === this.upstreamBodyLength && this.lastChunk === undefined) {
        // The declared body is complete and llhttp reports the end of the message next, in the same
        // read: give the filters this chunk with end of stream in one callback, as Envoy's codec does.
        this.lastChunk = chunk;
        return true;
      }
      this.chain.responseBody({ bytes: chunk }, false);
      return !this.upstreamPaused;
    }
    if (this.bytesOut === 0 && chunk.length === this.responseBodyLength) {
      // The whole body in one chunk (the usual small answer): `end(chunk)` in onComplete sends head and body
      // in one pass through the socket instead of write() (cork + uncork on the next tick) and then end().
      this.bytesOut = chunk.length;
      this.wholeBody = chunk;
      return true;
    }
    this.bytesOut += chunk.length;
    if (this.out.write(chunk)) return true;
    this.out.once('drain', this.resumeUpstream as () => void);
    return false;
  }

  /** undici reports each request body chunk written (the chunk itself, despite its typings). */
  onBodySent(chunk: Buffer | string | number): void {
    this.bytesIn += typeof chunk === 'number' ? chunk : chunk.length;
  }

  onComplete(rawTrailers: Array<Buffer | string> | null): void {
    if (this.phase !== Phase.responding || this.detached) return;
    const chain = this.chain;
    if (chain !== undefined) {
      const last = this.lastChunk;
      this.lastChunk = undefined;
      if (rawTrailers !== null && rawTrailers.length > 0) {
        if (last !== undefined) chain.responseBody({ bytes: last }, false);
        if (this.phase === Phase.responding) chain.responseTrailers(rawToMap(rawTrailers, undefined, this.h2));
      } else {
        chain.responseBody({ bytes: last ?? EMPTY }, true);
      }
      return;
    }
    if (rawTrailers !== null && rawTrailers.length > 0) this.out.addTrailers(rawToTrailers(rawTrailers));
    const body = this.wholeBody;
    if (body !== undefined) {
      this.wholeBody = undefined;
      this.out.end(body);
    } else {
      this.out.end();
    }
    this.finish();
  }

  onError(err: Error): void {
    if (this.phase === Phase.done || this.detached) return;
    const code = (err as { code?: string }).code;
    if (this.phase === Phase.responding) {
      // Mid-response failure: the client must see a broken response, not a truncated "success".
      this.proxyError = ProxyError.reset;
      this.abortDownstream();
      this.finish();
      return;
    }
    this.runtime.log.debug({ err, cluster: this.labels.cluster }, 'upstream request failed');
    if (code !== undefined && INVALID_FOR_UPSTREAM.has(code)) this.errorReply(400, ProxyError.badRequest);
    else if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === UpstreamErrorCode.timeout) this.errorReply(504, ProxyError.timeout);
    else if (isConnectError(err)) this.errorReply(503, ProxyError.connect);
    else this.errorReply(502, ProxyError.reset);
  }

  // ---- replies and teardown ----

  /** A proxy-generated error (or local) reply with `remora-proxy-error`. */
  errorReply(status: number, reason: string): void {
    this.proxyError = reason;
    if (this.chain !== undefined && !this.chain.finished) {
      this.chain.localReplyFromProxy(status, [['remora-proxy-error', reason]], `${reason}\n`, reason);
      return;
    }
    this.writeLocal(status, { 'remora-proxy-error': reason, 'content-type': 'text/plain' }, `${reason}\n`, reason);
  }

  /** Writes a whole response generated by Remora (no filters). */
  writeLocal(status: number, headers: Record<string, string | string[]>, body: string | Buffer, details: string): void {
    this.phase = Phase.responding;
    this.status = status;
    this.details = details;
    const res = this.res;
    if (res.headersSent) {
      this.abortDownstream();
      this.finish();
      return;
    }
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    headers['content-length'] = String(buf.length);
    if (this.runtime.draining && !this.h2) headers.connection = 'close';
    try {
      (res as ServerResponse).writeHead(status, headers);
      this.bytesOut += buf.length;
      if (this.head.method === 'HEAD') this.out.end();
      else this.out.end(buf);
    } catch (err) {
      this.runtime.log.debug({ err }, 'local reply failed');
      this.abortDownstream();
    }
    this.finish();
  }

  /** HTTP/1: close the connection; HTTP/2: RST_STREAM. */
  abortDownstream(): void {
    if (this.h2) {
      const stream = (this.res as http2.Http2ServerResponse).stream;
      if (!stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR);
    } else {
      this.req.socket?.destroy();
    }
  }

  /**
   * No byte moved either way for the listener's streamIdleTimeout (a stalled upload, a silent upstream
   * without a route timeout): 408 if the response has not started, as Envoy, else the stream is cut; the
   * upstream request is cancelled either way, and an HTTP/1 connection closes after the answer.
   */
  streamIdle(): void {
    if (this.phase === Phase.done) return;
    this.proxyError = ProxyError.streamIdle;
    this.detached = true; // the upstream's last words (its error from the cancel below) no longer count
    this.abortUpstream?.(new Error(ProxyError.streamIdle));
    if (!this.h2) (this.res as ServerResponse).shouldKeepAlive = false;
    if (this.res.headersSent) {
      this.abortDownstream();
      this.finish();
      return;
    }
    this.errorReply(408, ProxyError.streamIdle);
  }

  /** The downstream response closed (finished or the client went away). */
  downstreamClosed(): void {
    // Every complete answer calls finish() as it ends the response, so a close before that means the client
    // went away (HTTP/1 disconnect, HTTP/2 RST_STREAM) and the upstream side must be cancelled. (node's
    // Http2ServerResponse reports writableFinished after a client reset, so that flag cannot tell.)
    if (this.phase === Phase.done) return;
    if (this.status === 0) this.status = 499;
    this.proxyError ??= ProxyError.downstreamClosed;
    this.detached = true;
    this.abortUpstream?.(new Error(ProxyError.downstreamClosed));
    this.chainBody?.destroy();
    this.finish();
  }

  /** Bookkeeping once: metrics, access log, filter onLog/onDone. */
  finish(): void {
    if (this.phase === Phase.done) return;
    this.phase = Phase.done;
    this.clearRouteTimer();
    this.endEpoch = Date.now();
    const durationMs = performance.now() - this.startTime;
    if (this.cluster !== undefined) this.cluster.requestDone();
    if (this.bytesIn === 0 && this.head.contentLength > 0) this.bytesIn = this.head.contentLength;
    const rt = this.runtime;
    // Requests answered before a cluster was picked (no route, filter replies) start and end here.
    if (!this.counted) rt.metrics.requestStart(this.labels);
    rt.metrics.requestEnd(this.labels, this.status, durationMs, this.proxyError);
    if (this.snapshot.accessLog) {
      rt.log.info(
        {
          listener: this.labels.listener,
          route: this.labels.route,
          cluster: this.labels.cluster,
          method: this.head.method,
          path: this.head.path,
          status: this.status,
          durationMs: Math.round(durationMs * 1000) / 1000,
          bytesIn: this.bytesIn,
          bytesOut: this.bytesOut,
          requestId: this.head.requestId,
          proxyError: this.proxyError,
        },
        'access',
      );
    }
    this.chain?.done();
  }

  // ---- filter path ----

  private startWithFilters(route: Route): void {
    const chain = new FilterChain(this, route.plugins);
    this.chain = chain;
    const req = this.req;
    const hasBody = this.head.hasBody;
    chain.requestHeaders(flatToRequestMap(this.head, this.scheme), !hasBody);
    if (!hasBody) return;
    req.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      if (!chain.requestClosed) chain.requestBody({ bytes: chunk }, false);
    });
    req.on('end', () => {
      if (chain.requestClosed) return;
      const trailers = req.trailers;
      if (trailers !== undefined && Object.keys(trailers).length > 0) chain.requestTrailers(objectToMap(trailers));
      else chain.requestBody({ bytes: EMPTY }, true);
    });
  }

  /** Filter sink: request headers passed every filter. Re-match the route (filters may have steered). */
  sinkRequestHeaders(map: HeaderMap, endOfStream: boolean): void {
    const head = this.head;
    let route = this.route;
    if (!requestMapUnchanged(map, head, this.scheme)) {
      requestMapToHead(map, head);
      route = this.snapshot.router.match(head.method, head.path, head.authority, head.headers);
      this.route = route;
      this.labels.route = route?.name ?? '';
    }
    if (route === undefined) {
      this.errorReply(404, ProxyError.noRoute);
      return;
    }
    let body: Readable | null = null;
    if (!endOfStream) {
      this.chainBody = new PassThrough();
      body = this.chainBody;
    }
    this.forward(route, body);
  }

  sinkRequestBody(bytes: Buffer, endOfStream: boolean): void {
    const body = this.chainBody;
    if (body === undefined || body.destroyed) return;
    if (bytes.length > 0 && !body.write(bytes)) {
      const req = this.req;
      req.pause();
      body.once('drain', () => req.resume());
    }
    if (endOfStream) body.end();
  }

  sinkRequestTrailers(map: HeaderMap): void {
    const body = this.chainBody;
    if (body === undefined || body.destroyed) return;
    const obj: Record<string, string | string[]> = {};
    mapToObject(map, obj);
    body.trailers = obj;
    body.end();
  }

  /** Filter sink: response headers (from upstream or a local reply) passed every filter. */
  sinkResponseHeaders(map: HeaderMap, endOfStream: boolean): void {
    // HTTP/1 takes the head as a flat list (no object built only to be walked again by node); the HTTP/2
    // compat response needs an object.
    let headers: Record<string, string | string[]> | string[];
    let status: number;
    if (this.h2) {
      headers = {};
      status = mapToObject(map, headers);
      for (const [name, value] of map) if (name === 'content-length') this.responseBodyLength = declaredLength(this.responseBodyLength, value);
    } else {
      headers = [];
      status = mapToH1List(map, headers, this);
      if (this.runtime.draining) headers.push('connection', 'close');
    }
    status = status || this.status || 200;
    this.status = status;
    try {
      if (endOfStream && this.h2 && !this.res.headersSent) {
        this.respondEndStream(status, headers as Record<string, string | string[]>);
        this.responseHeadersDone = true;
        this.finish();
        return;
      }
      (this.res as ServerResponse).writeHead(status, headers);
    } catch (err) {
      this.runtime.log.debug({ err }, 'invalid response head from filters');
      this.abortUpstream?.(err as Error);
      this.abortDownstream();
      this.finish();
      return;
    }
    this.responseHeadersDone = true;
    if (endOfStream) {
      this.out.end();
      this.finish();
    }
  }

  sinkResponseBody(bytes: Buffer, endOfStream: boolean): void {
    if (!this.responseHeadersDone || this.phase === Phase.done) return;
    const res = this.out;
    const whole = this.wholeBody;
    if (whole !== undefined) {
      this.wholeBody = undefined;
      if (endOfStream && bytes.length === 0) {
        // The usual end: the held body and the end of the response in one write (as in onComplete).
        res.end(whole);
        this.finish();
        return;
      }
      res.write(whole);
    }
    if (endOfStream) {
      // The last (often the only) chunk and the end of the response in one write.
      this.bytesOut += bytes.length;
      if (bytes.length > 0) res.end(bytes);
      else res.end();
      this.finish();
      return;
    }
    if (bytes.length === 0) return;
    if (this.bytesOut === 0 && bytes.length === this.responseBodyLength) {
      // The whole declared body: hold it for the end of stream that follows through the chain.
      this.bytesOut = bytes.length;
      this.wholeBody = bytes;
      return;
    }
    this.bytesOut += bytes.length;
    if (!res.write(bytes) && this.resumeUpstream !== undefined) {
      // Flow control through the chain: stop reading the upstream until the client drains.
      const resume = this.resumeUpstream;
      this.upstreamPaused = true;
      res.once('drain', () => {
        this.upstreamPaused = false;
        resume();
      });
    }
  }

  /** Read by onData on the filter path: whether the upstream should keep sending. */
  upstreamPaused = false;

  sinkResponseTrailers(map: HeaderMap): void {
    if (!this.responseHeadersDone || this.phase === Phase.done) return;
    const obj: Record<string, string | string[]> = {};
    mapToObject(map, obj);
    this.out.addTrailers(obj);
    const whole = this.wholeBody;
    this.wholeBody = undefined;
    if (whole !== undefined) this.out.end(whole);
    else this.out.end();
    this.finish();
  }

  /** A local reply replaces whatever the upstream was doing. */
  cancelUpstream(): void {
    const wasActive = this.phase === Phase.upstream || this.phase === Phase.responding;
    // Detach first: the abort below reports back synchronously through onError.
    this.detached = true;
    this.phase = Phase.routing;
    if (wasActive) this.abortUpstream?.(new Error('local reply'));
    this.chainBody?.destroy();
  }

  /** Marks the exchange as answering locally (filters' local reply). */
  beginLocalResponse(status: number, details: string): void {
    this.phase = Phase.responding;
    this.status = status;
    this.details = details;
  }

  /** Filter asked to reset the stream. */
  resetFromFilter(reason: string): void {
    this.proxyError ??= reason;
    this.detached = true;
    this.abortUpstream?.(new Error(reason));
    this.chainBody?.destroy();
    this.abortDownstream();
    this.finish();
  }

  /** Facts of the downstream connection (for filters' properties). */
  get connection(): ConnectionFacts | undefined {
    if (this.h2) return factsOf((this.req as http2.Http2ServerRequest).stream.session);
    return factsOf(this.req.socket);
  }

  get headersSentDownstream(): boolean {
    return this.res.headersSent;
  }

  get finished(): boolean {
    return this.phase === Phase.done;
  }
}

/** Route timeouts below this use a precise timer (undici's head timeout has ~0.5 s resolution). */
const PRECISE_TIMEOUT_BELOW_MS = 3_000;

function onRouteTimeout(ex: HttpExchange): void {
  ex.routeTimedOut();
}

function onResponseIdle(this: DownstreamResponse): void {
  const ex = (this as unknown as { [kExchange]?: HttpExchange })[kExchange];
  ex?.streamIdle();
}

function onResponseClose(this: DownstreamResponse): void {
  const ex = (this as unknown as { [kExchange]?: HttpExchange })[kExchange];
  ex?.downstreamClosed();
}

const EMPTY = Buffer.alloc(0);

function isConnectError(err: Error): boolean {
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case UpstreamErrorCode.connect:
      return true;
    default:
      return false;
  }
}

function str(x: Buffer | string): string {
  return typeof x === 'string' ? x : x.toString('latin1');
}

/** Names removed from responses besides those listed in `connection`. */
function isHopByHopResponse(lower: string): boolean {
  switch (lower) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-connection':
    case 'transfer-encoding':
    case 'upgrade':
    case 'trailer':
    case 'te':
      return true;
    default:
      return false;
  }
}

/** Where the response head conversions report the upstream's declared body length. */
interface BodyLengthSink {
  responseBodyLength: number;
}

/** Raw upstream response head → flat list for node's HTTP/1 writeHead, hop-by-hop stripped, via added. */
function rawToH1List(raw: Array<Buffer | string>, draining: boolean, sink: BodyLengthSink): string[] {
  const out: string[] = [];
  let via = '';
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = lowerHeaderName(raw[i]);
    if (lower === 'content-length') sink.responseBodyLength = declaredLength(sink.responseBodyLength, str(raw[i + 1]));
    else if (lower === 'via') {
      via = via === '' ? str(raw[i + 1]) : `${via}, ${str(raw[i + 1])}`;
      continue;
    }
    if (isHopByHopResponse(lower)) {
      if (lower === 'connection') connection = str(raw[i + 1]);
      continue;
    }
    // The name as the upstream spelled it: HTTP/1 clients see the case they would without Remora.
    out.push(str(raw[i]), str(raw[i + 1]));
  }
  if (connection !== undefined) dropListed(out, connection);
  out.push('via', via === '' ? '1.1 remora' : `${via}, 1.1 remora`);
  if (draining) out.push('connection', 'close');
  return out;
}

function dropListed(flat: string[], connection: string): void {
  // Common case: "keep-alive" or "close" lists nothing else to drop.
  if (connection.length <= 10 && !connection.includes(',')) {
    const c = connection.toLowerCase();
    if (c === 'keep-alive' || c === 'close') return;
  }
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === '' || t === 'close' || t === 'keep-alive') continue;
    for (let i = flat.length - 2; i >= 0; i -= 2) if (flat[i].toLowerCase() === t) flat.splice(i, 2);
  }
}

/** A content-length value as a number; -1 (not known) when repeated or not a plain decimal. */
function declaredLength(previous: number, value: string): number {
  if (previous !== -1) return -1;
  const n = Number(value);
  return value !== '' && Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

/** Raw upstream response head → header object for the HTTP/2 compat response. */
function rawToH2Object(raw: Array<Buffer | string>, sink?: BodyLengthSink): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = lowerHeaderName(raw[i]);
    if (sink !== undefined && lower === 'content-length') sink.responseBodyLength = declaredLength(sink.responseBodyLength, str(raw[i + 1]));
    if (isHopByHopResponse(lower)) {
      if (lower === 'connection') connection = str(raw[i + 1]);
      continue;
    }
    const v = str(raw[i + 1]);
    const prev = out[lower];
    if (prev === undefined) out[lower] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[lower] = [prev, v];
  }
  if (connection !== undefined) {
    for (const token of connection.split(',')) delete out[token.trim().toLowerCase()];
  }
  const via = out.via;
  out.via = via === undefined ? '2 remora' : `${Array.isArray(via) ? via.join(', ') : via}, 2 remora`;
  return out;
}

function rawToTrailers(raw: Array<Buffer | string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const lower = lowerHeaderName(raw[i]);
    if (lower.charCodeAt(0) === 58 || isHopByHopResponse(lower)) continue;
    const v = str(raw[i + 1]);
    const prev = out[lower];
    if (prev === undefined) out[lower] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[lower] = [prev, v];
  }
  return out;
}

/**
 * Raw upstream head or trailers → HeaderMap for filters, in one pass: names lower-cased, pseudo-headers,
 * hop-by-hop and Connection-listed names dropped, wire order kept. Heads (`status` given) get `:status`
 * first and Remora's via token for the downstream protocol.
 */
function rawToMap(raw: Array<Buffer | string>, status: number | undefined, h2: boolean, sink?: { upstreamBodyLength: number }): HeaderMap {
  const head = status !== undefined;
  const map: HeaderMap = head ? [[':status', String(status)]] : [];
  let via: [string, string] | undefined;
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = lowerHeaderName(raw[i]);
    if (lower.charCodeAt(0) === 58 /* ':' */) continue;
    if (isHopByHopResponse(lower)) {
      if (head && lower === 'connection') connection = str(raw[i + 1]);
      continue;
    }
    const value = str(raw[i + 1]);
    if (sink !== undefined && lower === 'content-length') sink.upstreamBodyLength = declaredLength(sink.upstreamBodyLength, value);
    if (head && lower === 'via') {
      // Every via value joins the first via field, where Remora's token is appended below.
      if (via === undefined) map.push((via = ['via', value]));
      else via[1] = `${via[1]}, ${value}`;
      continue;
    }
    map.push([lower, value]);
  }
  if (!head) return map;
  const me = h2 ? '2 remora' : '1.1 remora';
  // The usual `keep-alive` / `close` lists no other field: nothing to drop.
  const listed = connection === undefined ? undefined : connectionListedNames(connection);
  if (listed !== undefined) {
    if (via !== undefined && listed.includes('via')) via[1] = me;
    else if (via !== undefined) via[1] = `${via[1]}, ${me}`;
    const kept: HeaderMap = [];
    for (const pair of map) if (pair === via || !listed.includes(pair[0])) kept.push(pair);
    if (via === undefined) kept.push(['via', me]);
    return kept;
  }
  if (via === undefined) map.push(['via', me]);
  else via[1] = `${via[1]}, ${me}`;
  return map;
}

/** Field names a Connection value lists besides `close` and `keep-alive`, or undefined when none. */
function connectionListedNames(connection: string): string[] | undefined {
  if (connection.length <= 10 && !connection.includes(',')) {
    const c = connection.toLowerCase();
    if (c === 'keep-alive' || c === 'close') return undefined;
  }
  let listed: string[] | undefined;
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === '' || t === 'close' || t === 'keep-alive') continue;
    (listed ??= []).push(t);
  }
  return listed;
}

/** HeaderMap → flat [name, value, …] list for node's HTTP/1 writeHead; returns the `:status` too. */
function mapToH1List(map: HeaderMap, out: string[], sink: BodyLengthSink): number {
  let status = 0;
  for (let i = 0; i < map.length; i++) {
    const name = map[i][0];
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (name === ':status') status = Number(map[i][1]);
      continue;
    }
    if (name === 'content-length') sink.responseBodyLength = declaredLength(sink.responseBodyLength, map[i][1]);
    out.push(name, map[i][1]);
  }
  return status;
}
