// Root and HTTP contexts, their registry, and HTTP callouts owned by them.
// Model (as in Envoy): one VM -> one RootContext per configured plugin -> one HttpContext per request.
import { proxy_http_call, proxy_grpc_call, proxy_get_status, proxy_set_effective_context, proxy_set_tick_period_milliseconds, proxy_done, proxy_continue_stream, proxy_close_stream } from "./imports";
import { Action, BufferType, MapType, PeerType, StreamType, WasmResult } from "./enums";
import { Header, OUT_PTR, OUT_SIZE, OUT_VALUE, resetOut, takeResult, utf8, fromUtf8, ptrOf, serializePairs, decimal } from "./memory";
import { Body, HeaderMap } from "./http";
import { log } from "./log";

/** Anything the host knows by a context id. */
export class BaseContext {
  constructor(public readonly id: u32) {}
}

/**
 * The plugin: created once per (VM, configured plugin). Override what you need; every method has a
 * harmless default.
 */
export class RootContext extends BaseContext {
  /** The `rootId` this context was created for (the `plugin_root_id` property, "" when none). */
  rootId: string = "";

  /** VM configuration (`vmConfig`), once per root context. Return false to fail the plugin's start. */
  onVmStart(vmConfiguration: string): bool { return true; }

  /** Plugin configuration (`config`, usually JSON text). Return false to reject it. */
  onConfigure(configuration: string): bool { return true; }

  /** Called every `setTickPeriod(ms)` milliseconds. */
  onTick(): void {}

  /** An item was enqueued on a queue this root registered with `SharedQueue.register`. */
  onQueueReady(queueId: u32): void {}

  /**
   * An HTTP callout finished. The default hands it to the callback given to `httpCall`, after making
   * the calling stream the effective context again (so `request.headers`, `continueRequest()` work).
   */
  onHttpCallResponse(response: HttpCallResponse): void {
    dispatchHttpCallResponse(response);
  }

  /** A unary gRPC call finished; the default hands it to the callback given to `grpcCall`. */
  onGrpcCallResponse(response: GrpcCallResponse): void {
    dispatchGrpcCallResponse(response);
  }

  /** Creates the context for a new HTTP stream. Override to return your HttpContext subclass. */
  newHttpContext(id: u32): HttpContext {
    return new HttpContext(id, this);
  }

  /**
   * Creates the context for a new TCP connection (network plugin). The host announces every stream the
   * same way, so the SDK first makes an HttpContext and swaps in this one when the connection callback
   * arrives. Default null: connections pass through untouched.
   */
  newTcpContext(id: u32): TcpContext | null {
    return null;
  }

  /** The plugin is being removed. Return false to finish later with `this.done()`. */
  onDone(): bool { return true; }

  onDelete(): void {}

  /** Finishes a shutdown postponed by returning false from onDone. */
  done(): WasmResult {
    proxy_set_effective_context(this.id);
    return <WasmResult>proxy_done();
  }
}

/** One HTTP request/response exchange. Return Action.Continue or Action.Pause from the stream callbacks. */
export class HttpContext extends BaseContext {
  constructor(id: u32, public readonly root: RootContext) {
    super(id);
  }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action { return Action.Continue; }
  onRequestBody(bodySize: u32, endOfStream: bool): Action { return Action.Continue; }
  onRequestTrailers(trailerCount: u32): Action { return Action.Continue; }
  onResponseHeaders(headerCount: u32, endOfStream: bool): Action { return Action.Continue; }
  onResponseBody(bodySize: u32, endOfStream: bool): Action { return Action.Continue; }
  onResponseTrailers(trailerCount: u32): Action { return Action.Continue; }
  /** The exchange is complete (access-log time); maps are read-only here. */
  onLog(): void {}
  onDone(): void {}
  onDelete(): void {}

  /** Resumes this stream's request after Action.Pause (e.g. from an httpCall callback or onTick). */
  resumeRequest(): WasmResult {
    proxy_set_effective_context(this.id);
    return <WasmResult>proxy_continue_stream(<u32>StreamType.HttpRequest);
  }

  /** Resumes this stream's response after Action.Pause. */
  resumeResponse(): WasmResult {
    proxy_set_effective_context(this.id);
    return <WasmResult>proxy_continue_stream(<u32>StreamType.HttpResponse);
  }

  /** Makes this stream the target of the global request/response/sendLocalReply APIs (e.g. from onTick). */
  activate(): WasmResult {
    return <WasmResult>proxy_set_effective_context(this.id);
  }
}

/** One TCP connection through a network plugin. Return Action.Continue or Action.Pause (hold the data). */
export class TcpContext extends BaseContext {
  constructor(id: u32, public readonly root: RootContext) {
    super(id);
  }

  onNewConnection(): Action { return Action.Continue; }
  /** `size` = bytes available in `downstream.data` (grows while paused). */
  onDownstreamData(size: u32, endOfStream: bool): Action { return Action.Continue; }
  onUpstreamData(size: u32, endOfStream: bool): Action { return Action.Continue; }
  onDownstreamClose(peer: PeerType): void {}
  onUpstreamClose(peer: PeerType): void {}
  onDone(): void {}
  onLog(): void {}
  onDelete(): void {}

  /** Resumes reading from the client after Action.Pause. */
  resumeDownstream(): WasmResult {
    proxy_set_effective_context(this.id);
    return <WasmResult>proxy_continue_stream(<u32>StreamType.Downstream);
  }

  /** Closes the client (Downstream) or upstream (Upstream) connection after flushing. */
  close(side: StreamType = StreamType.Downstream): WasmResult {
    proxy_set_effective_context(this.id);
    return <WasmResult>proxy_close_stream(<u32>side);
  }
}

// ---- registry --------------------------------------------------------------------------------

export type RootFactory = (id: u32) => RootContext;

const registeredIds = new Array<string>();
const registeredFactories = new Array<RootFactory>();

/**
 * Registers the RootContext implementation for `rootId` (the plugin's `rootId` in the proxy config).
 * "" catches every root id; a module with a single registration serves any root id.
 * Call it at the top level of your plugin's entry file.
 */
export function registerRoot(rootId: string, factory: RootFactory): void {
  registeredIds.push(rootId);
  registeredFactories.push(factory);
}

/** Picks the factory for `rootId`: exact match, then "", then the only one registered. */
export function findRootFactory(rootId: string): RootFactory | null {
  for (let i = 0; i < registeredIds.length; i++) {
    if (registeredIds[i] == rootId) return registeredFactories[i];
  }
  for (let i = 0; i < registeredIds.length; i++) {
    if (registeredIds[i] == "") return registeredFactories[i];
  }
  if (registeredFactories.length == 1) return registeredFactories[0];
  return null;
}

/** Live root and HTTP contexts by id (one map: each generic instance costs code in every plugin). */
export const contexts = new Map<u32, BaseContext>();

/** The context whose callback is running: the owner of httpCall()s made now. */
export let currentContext: BaseContext | null = null;
export function setCurrentContext(context: BaseContext | null): void {
  currentContext = context;
}

// ---- timers --------------------------------------------------------------------------------

/** Sets the period of the root context's onTick (0 stops it). From a stream, applies to its root. */
export function setTickPeriod(periodMs: u32): WasmResult {
  return <WasmResult>proxy_set_tick_period_milliseconds(periodMs);
}

// ---- HTTP callouts --------------------------------------------------------------------------

/** The result of an httpCall, readable inside its callback only. */
export class HttpCallResponse {
  /** Response headers (":status" included). */
  readonly headers: HeaderMap = new HeaderMap(MapType.HttpCallResponseHeaders);
  readonly trailers: HeaderMap = new HeaderMap(MapType.HttpCallResponseTrailers);
  readonly body: Body = new Body(BufferType.HttpCallResponseBody);

  constructor(
    public readonly token: u32,
    public readonly headerCount: u32,
    public readonly bodySize: u32,
    public readonly trailerCount: u32,
  ) {}

  /** True when the call got no response at all (reset, connection failure): no headers. */
  get failed(): bool {
    return this.headerCount == 0;
  }

  /** The HTTP status, 0 when the call failed. Timeouts arrive as 504, no upstream as 503. */
  get status(): u32 {
    if (this.headerCount == 0) return 0;
    const s = this.headers.get(":status");
    if (s === null) return 0;
    return <u32>I32.parseInt(s);
  }

  text(): string {
    return this.body.text();
  }
}

export type HttpCallCallback = (origin: BaseContext, response: HttpCallResponse) => void;

class PendingCall {
  constructor(public token: u32, public origin: BaseContext, public callback: HttpCallCallback) {}
}
/** Outstanding calls, oldest first; few at a time, so a list beats another Map instance. */
const pendingCalls = new Array<PendingCall>();

/**
 * Sends an HTTP request to `cluster` (a cluster name from the proxy config, not a URL). `headers` must
 * include ":method", ":path" and ":authority". `callback(origin, response)` runs later with `origin` =
 * the context that made the call (cast it to your class); timeoutMs 0 = no timeout.
 * Returns Ok, or BadArgument (unknown cluster, missing pseudo-headers) / InternalFailure.
 */
export function httpCall(cluster: string, headers: Header[], body: ArrayBuffer | null, trailers: Header[],
  timeoutMs: u32, callback: HttpCallCallback): WasmResult {
  const origin = currentContext;
  if (origin === null) {
    log.error("httpCall outside of a context callback");
    return WasmResult.BadArgument;
  }
  const upstream = utf8(cluster);
  const h = serializePairs(headers);
  const t = serializePairs(trailers);
  let bodyPtr: usize = 0;
  let bodySize: usize = 0;
  if (body !== null) {
    bodyPtr = ptrOf(body);
    bodySize = <usize>body.byteLength;
  }
  store<u32>(OUT_VALUE, 0);
  const status = proxy_http_call(ptrOf(upstream), <usize>upstream.byteLength, ptrOf(h), <usize>h.byteLength,
    bodyPtr, bodySize, ptrOf(t), <usize>t.byteLength, timeoutMs, OUT_VALUE);
  if (status != WasmResult.Ok) return <WasmResult>status;
  pendingCalls.push(new PendingCall(load<u32>(OUT_VALUE), origin, callback));
  return WasmResult.Ok;
}

/** Number of httpCalls whose response has not arrived yet. */
export function pendingHttpCalls(): i32 {
  return pendingCalls.length;
}

/**
 * Makes the context that made a call the host's effective context again, so the callback's
 * `request`/`response`/`sendLocalReply` act on that stream. False when that stream is gone (the
 * client went away): its callback has nothing left to act on.
 */
function reenter(origin: BaseContext): bool {
  if (origin instanceof RootContext) return true;
  if (!contexts.has(origin.id)) return false;
  proxy_set_effective_context(origin.id);
  return true;
}

function dispatchHttpCallResponse(response: HttpCallResponse): void {
  let index = -1;
  for (let i = 0; i < pendingCalls.length; i++) {
    if (pendingCalls[i].token == response.token) { index = i; break; }
  }
  if (index < 0) {
    log.warn("http call response for unknown token " + decimal(response.token));
    return;
  }
  const pending = pendingCalls[index];
  pendingCalls.splice(index, 1);
  const origin = pending.origin;
  if (!reenter(origin)) return;
  const previous = currentContext;
  currentContext = origin;
  pending.callback(origin, response);
  currentContext = previous;
}

// ---- gRPC callouts (unary) --------------------------------------------------------------------

/** The result of a unary grpcCall: status 0 with the reply message, or the gRPC error status and message. */
export class GrpcCallResponse {
  /** The serialized reply message (empty on error). */
  readonly message: ArrayBuffer;
  /** gRPC status message on error. */
  readonly statusMessage: string;

  constructor(public readonly token: u32, public readonly status: u32, message: ArrayBuffer, statusMessage: string) {
    this.message = message;
    this.statusMessage = statusMessage;
  }

  get ok(): bool {
    return this.status == 0;
  }
}

export type GrpcCallCallback = (origin: BaseContext, response: GrpcCallResponse) => void;

class PendingGrpcCall {
  constructor(public token: u32, public origin: BaseContext, public callback: GrpcCallCallback) {}
}
const pendingGrpcCalls = new Array<PendingGrpcCall>();

/**
 * Calls `service`/`method` on `cluster` (a cluster name from the proxy config) with a serialized
 * protobuf `message`. `callback(origin, response)` runs once, with `response.ok` or the error status.
 * Returns Ok, or ParseFailure (unknown cluster) / InternalFailure.
 */
export function grpcCall(cluster: string, service: string, method: string, initialMetadata: Header[],
  message: ArrayBuffer, timeoutMs: u32, callback: GrpcCallCallback): WasmResult {
  const origin = currentContext;
  if (origin === null) {
    log.error("grpcCall outside of a context callback");
    return WasmResult.BadArgument;
  }
  const c = utf8(cluster);
  const s = utf8(service);
  const m = utf8(method);
  const md = serializePairs(initialMetadata);
  store<u32>(OUT_VALUE, 0);
  const status = proxy_grpc_call(ptrOf(c), <usize>c.byteLength, ptrOf(s), <usize>s.byteLength, ptrOf(m), <usize>m.byteLength,
    ptrOf(md), <usize>md.byteLength, ptrOf(message), <usize>message.byteLength, timeoutMs, OUT_VALUE);
  if (status != WasmResult.Ok) return <WasmResult>status;
  pendingGrpcCalls.push(new PendingGrpcCall(load<u32>(OUT_VALUE), origin, callback));
  return WasmResult.Ok;
}

/** The status message of the call being reported (proxy_get_status), "" when none. */
export function callStatusMessage(): string {
  resetOut();
  if (proxy_get_status(OUT_VALUE, OUT_PTR, OUT_SIZE) != WasmResult.Ok) return "";
  return fromUtf8(takeResult());
}

function dispatchGrpcCallResponse(response: GrpcCallResponse): void {
  let index = -1;
  for (let i = 0; i < pendingGrpcCalls.length; i++) {
    if (pendingGrpcCalls[i].token == response.token) { index = i; break; }
  }
  if (index < 0) return; // a late event of a call already reported
  const pending = pendingGrpcCalls[index];
  pendingGrpcCalls.splice(index, 1);
  const origin = pending.origin;
  if (!reenter(origin)) return;
  const previous = currentContext;
  currentContext = origin;
  pending.callback(origin, response);
  currentContext = previous;
}
