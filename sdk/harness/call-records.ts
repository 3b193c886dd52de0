// The callouts a harness plugin made, recorded for the test to inspect and answer: answering runs
// the plugin's callback right away, as the proxy would when the upstream replies.

import type { GrpcCallRequest, GrpcEvents, HttpCallRequest, HttpCallResponse } from '../../abi/index.ts';
import { HeaderView, bodyChunks, fromRawPairs, toRawPairs, type BodyInit, type HeadersInit } from './headers.ts';

/** An http call the plugin made; answer it with `respond` (or `fail`) to run the plugin's callback. */
export class HttpCallRecord {
  readonly cluster: string;
  readonly headers: HeaderView;
  readonly body: Buffer;
  readonly trailers: HeaderView;
  readonly timeoutMs: number;
  answered = false;
  private readonly done: (res: HttpCallResponse | undefined) => void;

  constructor(req: HttpCallRequest, done: (res: HttpCallResponse | undefined) => void) {
    this.cluster = req.cluster;
    this.headers = new HeaderView(fromRawPairs(req.headers));
    this.body = Buffer.from(req.body);
    this.trailers = new HeaderView(fromRawPairs(req.trailers));
    this.timeoutMs = req.timeoutMs;
    this.done = done;
  }

  /** Delivers a response to the plugin (proxy_on_http_call_response runs before this returns). */
  respond(res: { status?: number; headers?: HeadersInit; body?: BodyInit; trailers?: HeadersInit } = {}): void {
    if (this.answered) throw new Error(`http call to ${this.cluster} was already answered`);
    this.answered = true;
    const body = Buffer.concat(bodyChunks(res.body));
    this.done({
      headers: [[':status', String(res.status ?? 200)], ...toRawPairs(res.headers).filter(([k]) => k !== ':status')],
      body,
      trailers: toRawPairs(res.trailers),
    });
  }

  /** Delivers a failure without response (a reset): the plugin sees 0 headers. */
  fail(): void {
    if (this.answered) throw new Error(`http call to ${this.cluster} was already answered`);
    this.answered = true;
    this.done(undefined);
  }
}

/** A unary gRPC call the plugin made; answer it with `respond(message)` or `fail(status, message)`. */
export class GrpcCallRecord {
  readonly cluster: string;
  readonly service: string;
  readonly method: string;
  readonly initialMetadata: HeaderView;
  /** The serialized request message. */
  readonly message: Buffer;
  readonly timeoutMs: number;
  answered = false;
  private readonly events: GrpcEvents;

  constructor(req: GrpcCallRequest, events: GrpcEvents) {
    this.cluster = req.cluster;
    this.service = req.service;
    this.method = req.method;
    this.initialMetadata = new HeaderView(fromRawPairs(req.initialMetadata));
    this.message = Buffer.from(req.message);
    this.timeoutMs = req.timeoutMs;
    this.events = events;
  }

  /** Success: the reply message (serialized protobuf), then status OK. */
  respond(message: string | Uint8Array): void {
    if (this.answered) throw new Error(`grpc call ${this.service}/${this.method} was already answered`);
    this.answered = true;
    this.events.message(typeof message === 'string' ? Buffer.from(message, 'utf8') : message);
    this.events.close(0, '');
  }

  /** Failure with a gRPC status (1..16) and message. */
  fail(status: number, message = ''): void {
    if (this.answered) throw new Error(`grpc call ${this.service}/${this.method} was already answered`);
    this.answered = true;
    this.events.close(status, message);
  }
}
