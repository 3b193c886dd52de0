// One HTTP stream of one plugin: the stream context plus the callbacks the embedder drives
// (reference §1.3). The embedder sets the maps/buffers it exposes on `ctx` (or passes them as
// arguments), calls a callback, then reads them back; deferred actions reach its StreamHost.

import { BufferType, MapType, StreamAction, type HeaderPairs } from '../types.ts';
import type { Export } from '../vm/vm.ts';
import { bodyAction, headersAction, stopAction } from './actions.ts';
import { PluginStream } from './plugin-stream.ts';

/** Envoy's HTTP order at the end of a stream: access log first. */
const HTTP_END = ['proxy_on_log', 'proxy_on_done', 'proxy_on_delete'] as const;

export class HttpStream extends PluginStream {
  private call(name: string, a: number, b: number, c: number, map: (r: number) => StreamAction): StreamAction {
    const vm = this.vm;
    if (vm.failed) return StreamAction.Failed;
    const fn: Export | undefined = vm.exports[name];
    if (!fn) return StreamAction.Continue;
    const ctx = this.ctx;
    ctx.localReplySent = false;
    const r = vm.invoke(ctx, name, fn, a, b, c);
    if (vm.failed) return StreamAction.Failed;
    if (ctx.localReplySent) return StreamAction.Stop; // a local reply overrides the returned value
    return map(r ?? 0);
  }

  onRequestHeaders(headers: HeaderPairs, endOfStream: boolean): StreamAction {
    this.ctx.maps[MapType.HttpRequestHeaders] = headers;
    return this.call('proxy_on_request_headers', this.ctx.id, headers.length, endOfStream ? 1 : 0, headersAction);
  }

  /**
   * `body` is the whole body held so far; read `requestBody` back after the call. At the end of a stream
   * without trailers the plugin may create them (reference §7.4): read `addedTrailers` after the call.
   */
  onRequestBody(body: Uint8Array, endOfStream: boolean): StreamAction {
    this.ctx.buffers[BufferType.HttpRequestBody] = body;
    const offered = this.offerTrailers(MapType.HttpRequestTrailers, endOfStream);
    const a = this.call('proxy_on_request_body', this.ctx.id, body.length, endOfStream ? 1 : 0, bodyAction);
    this.keepTrailers(MapType.HttpRequestTrailers, offered);
    return a;
  }

  /** Trailers the plugin created in the last body callback (non-empty), else undefined. */
  addedTrailers: HeaderPairs | undefined = undefined;

  /** At the end of stream with no trailers map yet, the callback may create one (by writing to it). */
  private offerTrailers(type: number, endOfStream: boolean): boolean {
    this.addedTrailers = undefined;
    if (!endOfStream || this.ctx.maps[type] !== undefined) return false;
    this.ctx.trailersOffer = type;
    return true;
  }

  private keepTrailers(type: number, offered: boolean): void {
    if (!offered) return;
    this.ctx.trailersOffer = -1;
    const created = this.ctx.maps[type];
    if (created === undefined) return;
    if (created.length > 0) this.addedTrailers = created;
    else this.ctx.maps[type] = undefined; // written to, then emptied: no trailers after all
  }

  onRequestTrailers(trailers: HeaderPairs): StreamAction {
    this.ctx.maps[MapType.HttpRequestTrailers] = trailers;
    return this.call('proxy_on_request_trailers', this.ctx.id, trailers.length, 0, stopAction);
  }

  onResponseHeaders(headers: HeaderPairs, endOfStream: boolean): StreamAction {
    this.ctx.maps[MapType.HttpResponseHeaders] = headers;
    return this.call('proxy_on_response_headers', this.ctx.id, headers.length, endOfStream ? 1 : 0, headersAction);
  }

  onResponseBody(body: Uint8Array, endOfStream: boolean): StreamAction {
    this.ctx.buffers[BufferType.HttpResponseBody] = body;
    const offered = this.offerTrailers(MapType.HttpResponseTrailers, endOfStream);
    const a = this.call('proxy_on_response_body', this.ctx.id, body.length, endOfStream ? 1 : 0, bodyAction);
    this.keepTrailers(MapType.HttpResponseTrailers, offered);
    return a;
  }

  onResponseTrailers(trailers: HeaderPairs): StreamAction {
    this.ctx.maps[MapType.HttpResponseTrailers] = trailers;
    return this.call('proxy_on_response_trailers', this.ctx.id, trailers.length, 0, stopAction);
  }

  get requestBody(): Uint8Array | undefined {
    return this.ctx.buffers[BufferType.HttpRequestBody];
  }

  get responseBody(): Uint8Array | undefined {
    return this.ctx.buffers[BufferType.HttpResponseBody];
  }

  /** Access-log phase (maps read-only), then on_done and on_delete: Envoy's HTTP order. */
  finish(): void {
    this.ctx.readOnly = true;
    this.end(HTTP_END);
  }
}
