// HTTP and gRPC callouts (reference §3.4 "Outbound calls", §7.6, §7.7). Calls belong to the root of
// the effective context; answers are delivered to that root as new top-level callbacks (or right
// after the current callback if the host answers synchronously).

import type { CallScratch, WasmVm } from '../vm/vm.ts';
import { WasmResult } from '../types.ts';
import { rootOf, type RootContext } from '../context/context.ts';
import type { CalloutHandle, CalloutStart, GrpcEvents, GrpcStreamHandle, HttpCallResponse } from '../host.ts';
import type { HeaderPairs } from '../types.ts';
import { parsePairs } from '../memory/pairs.ts';

const KIND_HTTP = 0;
const KIND_GRPC_CALL = 1;
const KIND_GRPC_STREAM = 2;

function lowerPairs(p: HeaderPairs): HeaderPairs {
  for (const e of p) e[0] = e[0].toLowerCase();
  return p;
}

export function calloutImports(vm: WasmVm) {
  const nextToken = (kind: number) => (vm.lastToken[kind] = (vm.lastToken[kind]! + 4) >>> 0);

  function readPairs(ptr: number, len: number): HeaderPairs | null {
    ptr >>>= 0;
    len >>>= 0;
    if (!vm.mem.ok(ptr, len)) return null;
    return lowerPairs(parsePairs(vm.mem.bytes(), ptr, len, 'latin1'));
  }

  function deliverHttp(root: RootContext, token: number, res: HttpCallResponse | undefined): void {
    const fn = vm.exports.proxy_on_http_call_response;
    if (vm.failed || root.deleted || !fn) return;
    vm.scratch.httpResponse = res;
    vm.status = res ? { code: WasmResult.Ok, message: '' } : { code: WasmResult.BrokenConnection, message: 'reset' };
    try {
      if (res) vm.invoke(root, 'proxy_on_http_call_response', fn, root.id, token, res.headers.length, res.body.length, res.trailers.length);
      else vm.invoke(root, 'proxy_on_http_call_response', fn, root.id, token, 0, 0, 0);
    } finally {
      vm.scratch.httpResponse = undefined;
    }
  }

  function grpcEvents(root: RootContext, token: number, stream: boolean): GrpcEvents {
    let closed = false;
    const live = () => !closed && !vm.failed && !root.deleted && root.callouts.has(token);
    const run = (fn: () => void) => vm.runLater(() => live() && fn());
    /** Calls `name` with `value` readable through its scratch slot for the length of the call. */
    const deliver = <K extends 'grpcInitial' | 'grpcMessage' | 'grpcTrailing'>(name: string, slot: K, value: CallScratch[K], size: number) => {
      const f = vm.exports[name];
      if (!f) return;
      run(() => {
        vm.scratch[slot] = value;
        try {
          vm.invoke(root, name, f, root.id, token, size);
        } finally {
          vm.scratch[slot] = undefined;
        }
      });
    };
    return {
      initialMetadata(md) {
        if (stream) deliver('proxy_on_grpc_receive_initial_metadata', 'grpcInitial', md, md.length);
      },
      message(msg) {
        deliver('proxy_on_grpc_receive', 'grpcMessage', msg, msg.length);
      },
      trailingMetadata(md) {
        if (stream) deliver('proxy_on_grpc_receive_trailing_metadata', 'grpcTrailing', md, md.length);
      },
      close(status, message) {
        run(() => {
          closed = true;
          root.callouts.delete(token);
          // Unary success is signalled by the message alone (Envoy).
          if (!stream && status === 0) return;
          const f = vm.exports.proxy_on_grpc_close;
          if (!f) return;
          vm.status = { code: status, message };
          vm.invoke(root, 'proxy_on_grpc_close', f, root.id, token, status);
        });
      },
    };
  }

  /**
   * Registers `token` on `root`, starts the host's call and keeps its handle for cancellation.
   * Returns the hostcall status: 0, `unknownCluster` when the host knows no such cluster, 10 when
   * the host failed (a throwing host is not the plugin's fault: the VM stays).
   */
  function startCallout(root: RootContext, token: number, what: string, unknownCluster: number,
    start: () => CalloutStart | CalloutHandle): number {
    // Register before starting: the host may answer synchronously, which removes the entry again.
    const placeholder: CalloutHandle = { cancel() {} };
    root.callouts.set(token, placeholder);
    let r: CalloutStart | CalloutHandle;
    try {
      r = start();
    } catch (e) {
      vm.logFor(4, `${what} callout failed in the host: ${e instanceof Error ? e.message : String(e)}`);
      r = 'failed';
    }
    if (r === 'unknown-cluster' || r === 'failed') {
      root.callouts.delete(token);
      return r === 'unknown-cluster' ? unknownCluster : WasmResult.InternalFailure;
    }
    if (typeof r === 'object' && root.callouts.get(token) === placeholder) root.callouts.set(token, r);
    return WasmResult.Ok;
  }

  /** Common part of grpc_call / grpc_stream: returns a status. */
  function startGrpc(
    stream: boolean,
    uPtr: number, uLen: number, sPtr: number, sLen: number, mPtr: number, mLen: number,
    mdPtr: number, mdLen: number, message: Uint8Array, timeout: number, tokenPtr: number,
  ): number {
    const cluster = vm.mem.string(uPtr >>> 0, uLen >>> 0);
    const service = vm.mem.string(sPtr >>> 0, sLen >>> 0);
    const method = vm.mem.string(mPtr >>> 0, mLen >>> 0);
    const md = readPairs(mdPtr, mdLen);
    if (cluster === null || service === null || method === null || md === null) return WasmResult.InvalidMemoryAccess;
    const root = rootOf(vm.effective);
    const host = root?.plugin.host;
    const start = stream ? host?.grpcStream : host?.grpcCall;
    if (!root || !host || !start) return WasmResult.ParseFailure;
    const token = nextToken(stream ? KIND_GRPC_STREAM : KIND_GRPC_CALL);
    if (!vm.mem.setU32(tokenPtr >>> 0, token)) return WasmResult.InvalidMemoryAccess;
    const req = { cluster, service, method, initialMetadata: md, message, timeoutMs: timeout >>> 0 };
    return startCallout(root, token, 'gRPC', WasmResult.ParseFailure, () => start.call(host, req, grpcEvents(root, token, stream)));
  }

  function findCallout(token: number): { root: RootContext; handle: CalloutHandle | GrpcStreamHandle } | undefined {
    for (const c of vm.contexts.roots()) {
      const h = c.callouts.get(token);
      if (h) return { root: c, handle: h };
    }
    return undefined;
  }

  return {
    proxy_http_call(
      uPtr: number, uLen: number, hPtr: number, hLen: number, bPtr: number, bLen: number,
      tPtr: number, tLen: number, timeout: number, tokenPtr: number,
    ): number {
      const cluster = vm.mem.string(uPtr >>> 0, uLen >>> 0);
      const headers = readPairs(hPtr, hLen);
      const body = vm.mem.copy(bPtr >>> 0, bLen >>> 0);
      const trailers = readPairs(tPtr, tLen);
      if (cluster === null || headers === null || body === null || trailers === null) return WasmResult.InvalidMemoryAccess;
      if (timeout < 0) return WasmResult.BadArgument;
      let method = false, path = false, authority = false;
      for (const [k, v] of headers) {
        if (k === ':method' && v) method = true;
        else if (k === ':path' && v) path = true;
        else if ((k === ':authority' || k === 'host') && v) authority = true;
      }
      if (!method || !path || !authority) return WasmResult.BadArgument;
      const root = rootOf(vm.effective);
      const host = root?.plugin.host;
      if (!root || !host?.httpCall) return WasmResult.BadArgument;
      const token = nextToken(KIND_HTTP);
      if (!vm.mem.setU32(tokenPtr >>> 0, token)) return WasmResult.InvalidMemoryAccess;
      const httpCall = host.httpCall;
      let finished = false;
      return startCallout(root, token, 'http', WasmResult.BadArgument, () =>
        httpCall.call(host, { cluster, headers, body, trailers, timeoutMs: timeout }, (res) => {
          if (finished || !root.callouts.has(token)) return;
          finished = true;
          root.callouts.delete(token);
          vm.runLater(() => deliverHttp(root, token, res));
        }),
      );
    },

    proxy_grpc_call(
      uPtr: number, uLen: number, sPtr: number, sLen: number, mPtr: number, mLen: number,
      mdPtr: number, mdLen: number, msgPtr: number, msgLen: number, timeout: number, tokenPtr: number,
    ): number {
      const msg = vm.mem.copy(msgPtr >>> 0, msgLen >>> 0);
      if (msg === null) return WasmResult.InvalidMemoryAccess;
      return startGrpc(false, uPtr, uLen, sPtr, sLen, mPtr, mLen, mdPtr, mdLen, msg, timeout, tokenPtr);
    },

    proxy_grpc_stream(
      uPtr: number, uLen: number, sPtr: number, sLen: number, mPtr: number, mLen: number,
      mdPtr: number, mdLen: number, tokenPtr: number,
    ): number {
      return startGrpc(true, uPtr, uLen, sPtr, sLen, mPtr, mLen, mdPtr, mdLen, new Uint8Array(0), 0, tokenPtr);
    },

    proxy_grpc_send(token: number, msgPtr: number, msgLen: number, endStream: number): number {
      token >>>= 0;
      if ((token & 3) !== KIND_GRPC_STREAM) return WasmResult.BadArgument;
      const c = findCallout(token);
      if (!c) return WasmResult.NotFound;
      const msg = vm.mem.copy(msgPtr >>> 0, msgLen >>> 0);
      if (msg === null) return WasmResult.InvalidMemoryAccess;
      const h = c.handle as GrpcStreamHandle;
      if (typeof h.send === 'function') h.send(msg, endStream !== 0);
      return WasmResult.Ok;
    },

    proxy_grpc_cancel(token: number): number {
      token >>>= 0;
      const c = findCallout(token);
      if (!c) return WasmResult.NotFound;
      c.root.callouts.delete(token);
      c.handle.cancel();
      return WasmResult.Ok;
    },

    proxy_grpc_close(token: number): number {
      token >>>= 0;
      const c = findCallout(token);
      if (!c) return WasmResult.NotFound;
      const h = c.handle as GrpcStreamHandle;
      if ((token & 3) === KIND_GRPC_STREAM && typeof h.close === 'function') {
        h.close(); // half-close: late messages may still arrive
      } else {
        c.root.callouts.delete(token);
        c.handle.cancel();
      }
      return WasmResult.Ok;
    },
  };
}
