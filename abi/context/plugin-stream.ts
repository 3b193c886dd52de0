// What HTTP and TCP streams have in common: announcing the stream context to the plugin
// (proxy_on_context_create with its root as parent), the failed flag the embedder checks, and the
// end-of-stream callbacks, which both run once and then forget the context.

import type { WasmVm } from '../vm/vm.ts';
import type { StreamContext } from './context.ts';

export class PluginStream {
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

  /**
   * Calls the exports named in `callbacks` (each with the context id), in that order, once per
   * stream; a failed VM or a context never announced gets none. The context is forgotten after.
   */
  protected end(callbacks: readonly string[]): void {
    if (this.finished) return;
    this.finished = true;
    const vm = this.vm;
    const ctx = this.ctx;
    if (ctx.created && !vm.failed) {
      for (const name of callbacks) {
        const fn = vm.exports[name];
        if (fn) vm.invoke(ctx, name, fn, ctx.id);
      }
    }
    vm.dropContext(ctx);
  }
}
