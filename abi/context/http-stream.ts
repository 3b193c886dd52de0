// One HTTP stream of one plugin: the stream context plus the callbacks the embedder drives
// (reference §1.3). The embedder sets the maps/buffers it exposes on `ctx` (or passes them as
// arguments), calls a callback, then reads them back; deferred actions reach its StreamHost.

import { StreamAction, type HeaderPairs } from '../types.ts';
import type { WasmVm, Export } from '../vm/vm.ts';
import type { StreamContext } from './context.ts';
import { bodyAction, headersAction, stopAction } from './actions.ts';

export class HttpStream {
  readonly vm: WasmVm;
  readonly ctx: StreamContext;
  private finished = false;

  constructor(vm: WasmVm, ctx: StreamContext) {
    this.vm = vm;
    this.ctx = ctx;
    const create = vm.exports.proxy_on_context_create;
    if (!vm.failed) {
      ctx.created = true;
      if (create) vm.invoke(ctx, 'proxy_on_context_create', create, ctx.id, ctx.root.id);
    }
  }

  /** The VM failed (now or before): the embedder applies the plugin's fail strategy. */
  get failed(): boolean {
    return this.vm.failed;
  }

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
    this.ctx.maps[0] = headers;
    return this.call('proxy_on_request_headers', this.ctx.id, headers.length, endOfStream ? 1 : 0, headersAction);
  }

  /** `body` is the whole body held so far; read `requestBody` back after the call. */
  onRequestBody(body: Uint8Array, endOfStream: boolean): StreamAction {
    this.ctx.buffers[0] = body;
    return this.call('proxy_on_request_body', this.ctx.id, body.length, endOfStream ? 1 : 0, bodyAction);
  }

  onRequestTrailers(trailers: HeaderPairs): StreamAction {
    this.ctx.maps[1] = trailers;
    return this.call('proxy_on_request_trailers', this.ctx.id, trailers.length, 0, stopAction);
  }

  onResponseHeaders(headers: HeaderPairs, endOfStream: boolean): StreamAction {
    this.ctx.maps[2] = headers;
    return this.call('proxy_on_response_headers', this.ctx.id, headers.length, endOfStream ? 1 : 0, headersAction);
  }

  onResponseBody(body: Uint8Array, endOfStream: boolean): StreamAction {
    this.ctx.buffers[1] = body;
    return this.call('proxy_on_response_body', this.ctx.id, body.length, endOfStream ? 1 : 0, bodyAction);
  }

  onResponseTrailers(trailers: HeaderPairs): StreamAction {
    this.ctx.maps[3] = trailers;
    return this.call('proxy_on_response_trailers', this.ctx.id, trailers.length, 0, stopAction);
  }

  get requestBody(): Uint8Array | undefined {
    return this.ctx.buffers[0];
  }

  get responseBody(): Uint8Array | undefined {
    return this.ctx.buffers[1];
  }

  /** Access-log phase (maps read-only), then on_done and on_delete: Envoy's HTTP order. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const vm = this.vm;
    const ctx = this.ctx;
    if (ctx.created && !vm.failed) {
      ctx.readOnly = true;
      const e = vm.exports;
      if (e.proxy_on_log) vm.invoke(ctx, 'proxy_on_log', e.proxy_on_log, ctx.id);
      if (e.proxy_on_done) vm.invoke(ctx, 'proxy_on_done', e.proxy_on_done, ctx.id);
      if (e.proxy_on_delete) vm.invoke(ctx, 'proxy_on_delete', e.proxy_on_delete, ctx.id);
    }
    vm.dropContext(ctx);
  }
}
