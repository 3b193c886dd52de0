// Stream control and local replies (reference §3.4, §7.1, §7.2). Actions are deferred until the
// current callback returns, then handed to the stream's host.

import type { WasmVm } from '../vm/vm.ts';
import { WasmResult } from '../types.ts';
import type { LocalReply, StreamHost } from '../host.ts';
import { parsePairs } from '../memory/pairs.ts';
import { validHeader } from './header-maps.ts';

export function streamControlImports(vm: WasmVm) {
  /** Hands `action` to the effective stream's host after the callback; a no-op outside a stream. */
  function deferToStream(action: (host: StreamHost) => void): void {
    const ctx = vm.effective;
    if (ctx?.kind !== 'stream') return;
    vm.defer(() => {
      if (!ctx.deleted) action(ctx.host);
    });
  }

  function continueStream(type: number): number {
    if (type > 3) return WasmResult.BadArgument;
    if (type === 3) return WasmResult.Unimplemented; // Envoy: resuming upstream is unimplemented
    deferToStream((host) => host.continueStream(type));
    return WasmResult.Ok;
  }

  return {
    proxy_continue_stream(type: number): number {
      return continueStream(type >>> 0);
    },
    proxy_close_stream(type: number): number {
      type >>>= 0;
      if (type > 3) return WasmResult.BadArgument;
      deferToStream((host) => host.closeStream(type));
      return WasmResult.Ok;
    },
    /** ABI 0.1.0. */
    proxy_continue_request(): number {
      return continueStream(0);
    },
    /** ABI 0.1.0. */
    proxy_continue_response(): number {
      return continueStream(1);
    },
    /** ABI 0.1.0: routing is decided after request headers anyway. */
    proxy_clear_route_cache(): number {
      return WasmResult.Ok;
    },
    proxy_send_local_response(
      status: number,
      dPtr: number,
      dLen: number,
      bPtr: number,
      bLen: number,
      hPtr: number,
      hLen: number,
      grpcStatus: number,
    ): number {
      const details = vm.mem.string(dPtr >>> 0, dLen >>> 0);
      const body = vm.mem.copy(bPtr >>> 0, bLen >>> 0);
      if (details === null || body === null || !vm.mem.ok(hPtr >>> 0, hLen >>> 0)) return WasmResult.InvalidMemoryAccess;
      // Unsendable headers are dropped (with a warning): the reply itself must go out.
      const headers = parsePairs(vm.mem.bytes(), hPtr >>> 0, hLen >>> 0, 'latin1').filter((p) => {
        p[0] = p[0].toLowerCase();
        return validHeader(vm, p[0], p[1]);
      });
      const ctx = vm.effective;
      if (ctx?.kind !== 'stream') return WasmResult.Ok; // Envoy: OK, nothing happens outside a stream
      const g = grpcStatus >>> 0;
      ctx.localReplySent = true;
      const reply: LocalReply = {
        status: status >>> 0,
        details: details.replace(/ /g, '_'),
        body,
        headers,
        grpcStatus: g <= 16 ? g : undefined,
      };
      deferToStream((host) => host.sendLocalResponse(reply));
      return WasmResult.Ok;
    },
  };
}
