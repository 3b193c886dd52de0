// One synthetic HTTP exchange through a plugin: the harness plays Remora's request path (downstream,
// plugin, upstream) without sockets, following Envoy's order: request headers, body chunks, trailers,
// then the upstream's (or a local reply's) response headers, body, trailers, then log/done/delete.

import type { HttpStream, LocalReply, PropertyValue, StreamHost } from '../../abi/index.ts';
import { StreamAction, prop } from '../../abi/index.ts';
import {
  HeaderView, bodyChunks, concat, fromRawPairs, toRawPairs,
  type BodyInit, type HeadersInit, type RawPairs,
} from './headers.ts';

export interface RequestInit {
  /** Pseudo-headers default to :method GET, :path /, :authority example.com, :scheme http. */
  headers?: HeadersInit;
  body?: BodyInit;
  trailers?: HeadersInit;
}

export interface ResponseInit {
  /** Default 200 (or `:status` in headers). */
  status?: number;
  headers?: HeadersInit;
  body?: BodyInit;
  trailers?: HeadersInit;
}

/** The request as the upstream received it. */
export interface UpstreamRequest {
  headers: HeaderView;
  body: Buffer;
  trailers: HeaderView;
}

export interface StreamOptions {
  request?: RequestInit;
  /** What the upstream answers: fixed, or computed from the request it received. Default 200, no body. */
  response?: ResponseInit | ((request: UpstreamRequest) => ResponseInit);
  /**
   * Stream properties by dotted path (`'source.address'`), over the defaults the harness derives:
   * request.{path,url_path,host,method,scheme,protocol,id,headers}, source.*, destination.*, response.code.
   */
  properties?: Record<string, PropertyValue>;
}

/** A local reply the plugin sent, decoded for assertions. */
export interface LocalReplyView {
  status: number;
  body: string;
  headers: HeaderView;
  /** gRPC status, undefined for a plain HTTP reply. */
  grpcStatus: number | undefined;
  details: string;
}

export type ActionName = 'continue' | 'stop' | 'buffer' | 'failed';
/** StreamAction -> the name tests assert on (shared with HarnessConnection). */
export const ACTION_NAMES: Record<number, ActionName> = {
  [StreamAction.Continue]: 'continue',
  [StreamAction.Stop]: 'stop',
  [StreamAction.Buffer]: 'buffer',
  [StreamAction.Failed]: 'failed',
};

type Direction = 'request' | 'response';

const DEFAULT_REQUEST: Array<[string, string]> = [
  [':method', 'GET'],
  [':path', '/'],
  [':authority', 'example.com'],
  [':scheme', 'http'],
];

/** A harness stream; drive it with `run()` or step by step with the `send*` methods. */
export class HarnessStream implements StreamHost {
  /** Callback results in order, e.g. `{ callback: 'requestHeaders', action: 'stop' }`. */
  readonly actions: Array<{ callback: string; action: ActionName }> = [];
  /** Every local reply the plugin sent (normally one). */
  readonly localReplies: LocalReplyView[] = [];
  /** Directions the plugin resumed with continueRequest()/continueResponse() (StreamType numbers). */
  readonly continued: number[] = [];
  /** Directions the plugin reset with closeStream(). */
  readonly closed: number[] = [];
  /** The direction waiting for the plugin to resume it, if any. */
  paused: Direction | undefined = undefined;
  /** The plugin's VM trapped during this stream. */
  failed = false;
  /** What reached the upstream (undefined while the request is held, or after a local reply). */
  upstreamRequest: UpstreamRequest | undefined = undefined;
  finished = false;

  private readonly http: HttpStream;
  private readonly opts: StreamOptions;
  private reqHeaders: RawPairs;
  private reqTrailers: RawPairs;
  private reqBody: Uint8Array = new Uint8Array(0);
  private respHeaders: RawPairs = [];
  private respTrailers: RawPairs = [];
  private respBody: Uint8Array = new Uint8Array(0);
  private resume: (() => void) | undefined = undefined;
  private replyPending = false;
  /** Directions continued during the last callback (deferred: they land before `hold` runs). */
  private earlyContinue = new Set<number>();

  private readonly afterCallback: () => void;

  constructor(create: (host: StreamHost) => HttpStream, opts: StreamOptions, afterCallback: () => void = () => {}) {
    this.opts = opts;
    this.afterCallback = afterCallback;
    const given = toRawPairs(opts.request?.headers);
    const missing = DEFAULT_REQUEST.filter(([k]) => !given.some(([g]) => g === k));
    this.reqHeaders = [...missing, ...given];
    this.reqTrailers = toRawPairs(opts.request?.trailers);
    this.http = create(this);
  }

  // ---- StreamHost: what the plugin asks of the proxy ---------------------------------------

  continueStream(streamType: number): void {
    this.continued.push(streamType);
    if ((streamType === 0 && this.paused === 'request') || (streamType === 1 && this.paused === 'response')) this.wake();
    else this.earlyContinue.add(streamType);
  }

  closeStream(streamType: number): void {
    this.closed.push(streamType);
    this.wake();
  }

  sendLocalResponse(reply: LocalReply): void {
    this.localReplies.push({
      status: reply.status,
      body: Buffer.from(reply.body).toString('utf8'),
      headers: new HeaderView(fromRawPairs(reply.headers)),
      grpcStatus: reply.grpcStatus,
      details: reply.details,
    });
    this.replyPending = true;
    this.wake();
  }

  property(path: string[]): PropertyValue | undefined {
    const key = path.join('.');
    const given = this.opts.properties?.[key];
    if (given !== undefined) return given;
    const header = (name: string) => fromRawPairs(this.reqHeaders).find(([k]) => k === name)?.[1];
    switch (key) {
      case 'request.path': return header(':path');
      case 'request.url_path': return header(':path')?.split('?')[0];
      case 'request.query': return header(':path')?.split('?')[1] ?? '';
      case 'request.host': return header(':authority');
      case 'request.method': return header(':method');
      case 'request.scheme': return header(':scheme');
      case 'request.id': return header('x-request-id');
      case 'request.useragent': return header('user-agent');
      case 'request.protocol': return 'HTTP/1.1';
      case 'request.headers': return prop.map(fromRawPairs(this.reqHeaders).filter(([k]) => !k.startsWith(':')));
      case 'source.address': return '127.0.0.1:50000';
      case 'source.port': return prop.int(50000);
      case 'destination.address': return '127.0.0.1:4143';
      case 'destination.port': return prop.int(4143);
      case 'response.code': {
        const status = fromRawPairs(this.respHeaders).find(([k]) => k === ':status')?.[1];
        return status === undefined ? undefined : prop.int(Number(status));
      }
    }
    if (path[0] === 'request' && path[1] === 'headers' && path.length === 3) return header(path[2]!.toLowerCase());
    return undefined;
  }

  // ---- state for assertions --------------------------------------------------------------

  /** The request as the plugin left it (headers, body held or forwarded, trailers). */
  get request(): { headers: HeaderView; body: Buffer; trailers: HeaderView } {
    return {
      headers: new HeaderView(fromRawPairs(this.reqHeaders)),
      body: Buffer.from(this.upstreamRequest ? this.upstreamRequest.body : this.reqBody),
      trailers: new HeaderView(fromRawPairs(this.reqTrailers)),
    };
  }

  /** The response the downstream client gets (after the plugin's response callbacks). */
  get response(): { status: number; headers: HeaderView; body: Buffer; trailers: HeaderView } {
    const headers = new HeaderView(fromRawPairs(this.respHeaders));
    return {
      status: Number(headers.get(':status') ?? 0),
      headers,
      body: Buffer.from(this.respBody),
      trailers: new HeaderView(fromRawPairs(this.respTrailers)),
    };
  }

  /** The (last) local reply, if the plugin sent one. */
  get localReply(): LocalReplyView | undefined {
    return this.localReplies[this.localReplies.length - 1];
  }

  // ---- stepwise driving --------------------------------------------------------------------

  private record(callback: string, action: StreamAction): ActionName {
    this.afterCallback();
    const name = ACTION_NAMES[action] ?? 'continue';
    this.actions.push({ callback, action: name });
    if (action === StreamAction.Failed) this.failed = true;
    return name;
  }

  /** proxy_on_request_headers with the current request headers. */
  sendRequestHeaders(endOfStream: boolean): ActionName {
    return this.record('requestHeaders', this.http.onRequestHeaders(this.reqHeaders, endOfStream));
  }

  /** proxy_on_request_body with `held` (everything buffered so far); returns the plugin's answer. */
  sendRequestBody(held: Uint8Array, endOfStream: boolean): ActionName {
    const a = this.record('requestBody', this.http.onRequestBody(held, endOfStream));
    this.reqBody = this.http.requestBody ?? held;
    // Trailers the plugin created at the end of the body end the message (as Envoy's addDecodedTrailers).
    if (this.http.addedTrailers !== undefined) this.reqTrailers = this.http.addedTrailers;
    return a;
  }

  sendRequestTrailers(): ActionName {
    return this.record('requestTrailers', this.http.onRequestTrailers(this.reqTrailers));
  }

  sendResponseHeaders(endOfStream: boolean): ActionName {
    return this.record('responseHeaders', this.http.onResponseHeaders(this.respHeaders, endOfStream));
  }

  sendResponseBody(held: Uint8Array, endOfStream: boolean): ActionName {
    const a = this.record('responseBody', this.http.onResponseBody(held, endOfStream));
    this.respBody = this.http.responseBody ?? held;
    if (this.http.addedTrailers !== undefined) this.respTrailers = this.http.addedTrailers;
    return a;
  }

  sendResponseTrailers(): ActionName {
    return this.record('responseTrailers', this.http.onResponseTrailers(this.respTrailers));
  }

  /** proxy_on_log, proxy_on_done, proxy_on_delete (Envoy's HTTP order). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.http.finish();
  }

  // ---- the whole exchange ------------------------------------------------------------------

  private wake(): void {
    const r = this.resume;
    this.resume = undefined;
    r?.();
  }

  /** Waits until the plugin resumes `direction` (from an httpCall callback, a tick...) or replies. */
  private hold(direction: Direction): Promise<void> {
    if (this.earlyContinue.delete(direction === 'request' ? 0 : 1)) return Promise.resolve();
    this.paused = direction;
    return new Promise<void>((resolve) => {
      this.resume = () => {
        this.paused = undefined;
        resolve();
      };
    });
  }

  /** True when the exchange must not go on: trap, reset, or a local reply to deliver. */
  private interrupted(): boolean {
    return this.failed || this.closed.length > 0 || this.replyPending;
  }

  /**
   * Runs one direction: headers, body chunks (buffering while the plugin asks), trailers.
   * Returns false when interrupted.
   */
  private async pass(direction: Direction, chunks: Uint8Array[]): Promise<boolean> {
    const isRequest = direction === 'request';
    const trailers = isRequest ? this.reqTrailers : this.respTrailers;
    const hasTrailers = trailers.length > 0;
    const headersEos = chunks.length === 0 && !hasTrailers;
    this.earlyContinue.clear();
    const h = isRequest ? this.sendRequestHeaders(headersEos) : this.sendResponseHeaders(headersEos);
    if (this.interrupted()) return false;
    if (h === 'stop') {
      await this.hold(direction);
      if (this.interrupted()) return false;
    }
    let held: Uint8Array = new Uint8Array(0);
    let forwarded: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < chunks.length; i++) {
      const eos = i === chunks.length - 1 && !hasTrailers;
      held = concat(held, chunks[i]!);
      this.earlyContinue.clear();
      const a = isRequest ? this.sendRequestBody(held, eos) : this.sendResponseBody(held, eos);
      held = (isRequest ? this.http.requestBody : this.http.responseBody) ?? held;
      if (this.interrupted()) return false;
      if (a === 'buffer' && !eos) continue;
      if (a !== 'continue') {
        // Stopped, or buffering at the end of the stream: only the plugin can let the body go on.
        await this.hold(direction);
        if (this.interrupted()) return false;
        held = (isRequest ? this.http.requestBody : this.http.responseBody) ?? held;
      }
      forwarded = concat(forwarded, held);
      held = new Uint8Array(0);
    }
    if (hasTrailers) {
      this.earlyContinue.clear();
      const t = isRequest ? this.sendRequestTrailers() : this.sendResponseTrailers();
      if (this.interrupted()) return false;
      if (t === 'stop') {
        await this.hold(direction);
        if (this.interrupted()) return false;
      }
    }
    if (isRequest) this.reqBody = forwarded;
    else this.respBody = forwarded;
    return true;
  }

  /** Response headers/body of a local reply, as Envoy generates it. */
  private useLocalReply(reply: LocalReplyView): Uint8Array[] {
    this.replyPending = false;
    const headers: Array<[string, string]> = [[':status', String(reply.status)]];
    const body = Buffer.from(reply.body, 'utf8');
    if (body.length > 0) {
      headers.push(['content-length', String(body.length)]);
      if (!reply.headers.has('content-type')) headers.push(['content-type', 'text/plain']);
    }
    this.respHeaders = toRawPairs([...headers, ...reply.headers.pairs]);
    this.respTrailers = [];
    this.respBody = new Uint8Array(0);
    return bodyChunks(body);
  }

  /**
   * Drives the whole exchange and resolves when it is complete (log/done/delete included).
   * If the plugin pauses, it resolves only after the plugin resumes or replies, e.g. once the test
   * answers its http call: `const done = s.run(); h.httpCalls[0].respond({ status: 200 }); await done;`
   */
  async run(): Promise<this> {
    const requestChunks = bodyChunks(this.opts.request?.body);
    const sent = await this.pass('request', requestChunks);
    let responseChunks: Uint8Array[] = [];
    if (sent) {
      const upstream: UpstreamRequest = {
        headers: new HeaderView(fromRawPairs(this.reqHeaders)),
        body: Buffer.from(this.reqBody),
        trailers: new HeaderView(fromRawPairs(this.reqTrailers)),
      };
      this.upstreamRequest = upstream;
      const r = typeof this.opts.response === 'function' ? this.opts.response(upstream) : (this.opts.response ?? {});
      const given = toRawPairs(r.headers).filter(([k]) => k !== ':status');
      const status = r.status ?? Number(toRawPairs(r.headers).find(([k]) => k === ':status')?.[1] ?? 200);
      this.respHeaders = [[':status', String(status)], ...given];
      this.respTrailers = toRawPairs(r.trailers);
      responseChunks = bodyChunks(r.body);
    } else if (this.replyPending && !this.failed) {
      responseChunks = this.useLocalReply(this.localReply!);
    }
    if ((sent || this.localReply) && !this.failed && this.closed.length === 0) {
      // The plugin sees its own local reply on the response path, as in Envoy. A reply sent from a
      // response callback replaces the upstream response once.
      let ok = await this.pass('response', responseChunks);
      if (!ok && this.replyPending && !this.failed && this.closed.length === 0 && this.localReplies.length <= 2) {
        ok = await this.pass('response', this.useLocalReply(this.localReply!));
      }
    }
    this.finish();
    return this;
  }
}
