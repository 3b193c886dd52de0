// HTTP/2 (h2c prior knowledge) endpoint on node:http2's client. Not undici: undici's h2 client cannot send
// request trailers (client-h2 has no trailer support on the request side), which gRPC client-streaming and
// HTTP/2 trailer passthrough need. One session per endpoint, multiplexed; re-dialed after close/GOAWAY.
import * as http2 from 'node:http2';
import { cleanTrailers } from '../http/headers.ts';
import type { Endpoint, UpstreamHandler, UpstreamRequest } from './types.ts';
import { UpstreamErrorCode, upstreamError } from './types.ts';

const { NGHTTP2_CANCEL } = http2.constants;

export interface H2EndpointOptions {
  connectTimeoutMs: number;
  /** Largest header list we accept from the upstream. */
  maxHeaderListSize?: number;
}

export class H2Endpoint implements Endpoint {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  private readonly authority: string;
  private readonly options: H2EndpointOptions;
  private session: http2.ClientHttp2Session | undefined;
  /** Streams open on the session (a count: a Set churned per request keeps dead requests alive in V8's GC). */
  private active = 0;
  private closing = false;

  constructor(host: string, port: number, options: H2EndpointOptions) {
    this.host = host;
    this.port = port;
    this.address = `${host}:${port}`;
    this.authority = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.options = options;
  }

  private connect(): http2.ClientHttp2Session {
    const existing = this.session;
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const session = http2.connect(this.authority, {
      settings: { enablePush: false, maxHeaderListSize: this.options.maxHeaderListSize ?? 64 * 1024 },
    });
    this.session = session;
    let connected = false;
    const timer = setTimeout(() => {
      if (!connected) session.destroy(upstreamError(`connect timeout to ${this.address}`, UpstreamErrorCode.connect));
    }, this.options.connectTimeoutMs);
    timer.unref();
    session.once('connect', () => {
      connected = true;
      clearTimeout(timer);
    });
    session.on('error', (err: Error & { code?: string }) => {
      // Streams on this session see the failure through their own 'error'/'close'. Tag dial failures.
      if (!connected && err.code !== UpstreamErrorCode.connect) (session as unknown as { connectError: Error }).connectError = err;
    });
    const forget = () => {
      clearTimeout(timer);
      if (this.session === session) this.session = undefined;
    };
    session.once('close', forget);
    session.once('goaway', forget);
    session.unref();
    return session;
  }

  dispatch(req: UpstreamRequest, handler: UpstreamHandler): void {
    let session: http2.ClientHttp2Session;
    try {
      session = this.connect();
    } catch (err) {
      handler.onError(err as Error);
      return;
    }
    try {
      new H2Exchange(this, session, req, handler);
    } catch (err) {
      // session.request() refuses some heads synchronously that HTTP/1 clients may send (a repeated
      // single-value field such as two user-agent lines, `te` other than "trailers"); it throws before
      // the exchange touched anything, so this request just fails.
      handler.onError(err as Error);
    }
  }

  track(stream: http2.ClientHttp2Stream): void {
    this.active++;
    stream.once('close', () => {
      this.active--;
      if (this.closing && this.active === 0) this.session?.close();
    });
  }

  close(): Promise<void> {
    this.closing = true;
    const session = this.session;
    if (session === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      session.close(() => resolve());
    });
  }

  destroy(): void {
    this.session?.destroy();
  }
}

/** One request/response on the h2 session, translated to UpstreamHandler calls. */
class H2Exchange {
  private readonly handler: UpstreamHandler;
  private readonly stream: http2.ClientHttp2Stream;
  private readonly req: UpstreamRequest;
  private done = false;
  private gotHeaders = false;
  private ended = false;
  private trailers: string[] | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(endpoint: H2Endpoint, session: http2.ClientHttp2Session, req: UpstreamRequest, handler: UpstreamHandler) {
    this.handler = handler;
    this.req = req;
    const headers: http2.OutgoingHttpHeaders = {
      ':method': req.method,
      ':path': req.path,
      ':scheme': 'http',
    };
    const flat = req.headers;
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i];
      if (name === 'host') {
        headers[':authority'] = flat[i + 1];
        continue;
      }
      const prev = headers[name];
      if (prev === undefined) headers[name] = flat[i + 1];
      else if (Array.isArray(prev)) prev.push(flat[i + 1]);
      else headers[name] = [String(prev), flat[i + 1]];
    }
    const body = req.body;
    const stream = session.request(headers, {
      endStream: body === null,
      waitForTrailers: body !== null,
    });
    this.stream = stream;
    endpoint.track(stream);
    handler.onConnect((err) => this.abort(err));
    if (req.timeoutMs > 0) {
      this.timer = setTimeout(() => this.fail(upstreamError('upstream timeout', UpstreamErrorCode.timeout)), req.timeoutMs);
    }
    stream.on('response', (h, flags) => this.onResponse(h, flags));
    stream.on('data', (chunk: Buffer) => {
      if (!this.done && !handler.onData(chunk)) stream.pause();
    });
    stream.on('trailers', (t) => {
      this.trailers = toFlat(t);
    });
    // node emits 'end' also when the peer resets the stream, so completion is decided on 'close' from the
    // RST code: only NO_ERROR after the end of the body is a complete response.
    stream.on('end', () => {
      this.ended = true;
    });
    stream.on('error', (err) => this.fail(connectErrorOf(session) ?? err));
    stream.on('close', () => {
      if (this.done) return;
      if (this.ended && (stream.rstCode === undefined || stream.rstCode === http2.constants.NGHTTP2_NO_ERROR)) this.finish();
      else this.fail(connectErrorOf(session) ?? upstreamError(`upstream stream closed (code ${stream.rstCode})`, 'ERR_HTTP2_STREAM_RESET'));
    });
    if (body !== null) {
      stream.on('wantTrailers', () => {
        const t = (body as { trailers?: Record<string, string | string[] | undefined> }).trailers;
        const out: http2.OutgoingHttpHeaders = {};
        if (t !== undefined) {
          cleanTrailers(t);
          for (const k of Object.keys(t)) if (t[k] !== undefined) out[k] = t[k];
        }
        stream.sendTrailers(out);
      });
      body.on('error', () => this.abort());
      body.pipe(stream);
      if (handler.onBodySent !== undefined) body.on('data', (chunk: Buffer) => handler.onBodySent?.(chunk));
    }
  }

  private onResponse(h: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader, flags: number): void {
    if (this.done) return;
    this.gotHeaders = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const status = Number(h[':status']);
    const stream = this.stream;
    const resume = () => {
      if (!stream.destroyed) stream.resume();
    };
    if ((flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0 && this.handler.onTrailersOnly !== undefined) {
      // gRPC "trailers-only" answer: status and grpc-status in one HEADERS frame with END_STREAM.
      this.done = true;
      this.handler.onTrailersOnly(status, toFlat(h));
      return;
    }
    if (!this.handler.onHeaders(status, toFlat(h), resume, '')) stream.pause();
  }

  private finish(): void {
    if (this.done) return;
    if (!this.gotHeaders) {
      this.fail(upstreamError('upstream ended without response headers', 'ERR_HTTP2_STREAM_RESET'));
      return;
    }
    this.done = true;
    this.handler.onComplete(this.trailers);
  }

  private fail(err: Error): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (!this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
    this.req.body?.unpipe(this.stream);
    this.handler.onError(err);
  }

  private abort(err?: Error): void {
    this.fail(err ?? new Error('request aborted'));
  }
}

function connectErrorOf(session: http2.ClientHttp2Session): Error | undefined {
  return (session as unknown as { connectError?: Error }).connectError;
}

function toFlat(h: http2.IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name of Object.keys(h)) {
    if (name.charCodeAt(0) === 58) continue;
    const v = h[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(name, x);
    else out.push(name, String(v));
  }
  return out;
}
