// The proxy-wasm 0.2.1 callbacks the host calls. A plugin's entry file re-exports this module:
//   export * from "@remora/sdk/assembly/exports";
// Each callback finds the context by id and calls the author's overridable method.
import { Action, BufferType, PeerType } from "./enums";
import { allocateForHost, fromUtf8, decimal } from "./memory";
import { Body } from "./http";
import { log } from "./log";
import { getPropertyString } from "./properties";
import {
  BaseContext, RootContext, HttpContext, TcpContext, HttpCallResponse, GrpcCallResponse, callStatusMessage,
  contexts, findRootFactory, setCurrentContext,
} from "./context";
import "./abort";

// ---- garbage collection --------------------------------------------------------------------
// Plugins build with `--runtime minimal`: no shadow stack (smaller, faster code), and the GC runs only
// when we call it. Every callback the host makes is top level (the ABI never re-enters a plugin
// except for the allocator), so the tail of a callback has no live references outside globals:
// a safe point. Collect when memory grew, or every COLLECT_EVERY callbacks.
const COLLECT_EVERY: u32 = 256;
let callbacksSinceCollect: u32 = 0;
let pagesAtCollect: i32 = 0;

function afterCallback(): void {
  if (ASC_RUNTIME != 1) return; // incremental collects by itself; the no-GC runtime never frees
  callbacksSinceCollect++;
  if (memory.size() == pagesAtCollect && callbacksSinceCollect < COLLECT_EVERY) return;
  __collect();
  callbacksSinceCollect = 0;
  pagesAtCollect = memory.size();
}

/** ABI marker: the host reads the version from this export's name. */
export function proxy_abi_version_0_2_1(): void {}

/** Allocator for results the host passes in (the spec's name). */
export function proxy_on_memory_allocate(size: usize): usize {
  return allocateForHost(size);
}

/** Same allocator under the name Envoy's cpp-host looks for first. */
export function malloc(size: usize): usize {
  return allocateForHost(size);
}

/** Root contexts that never got a factory: they refuse to start so the host reports the plugin. */
class UnregisteredRoot extends RootContext {
  onVmStart(vmConfiguration: string): bool {
    log.critical("no RootContext registered for root id \"" + this.rootId + "\": call registerRoot() in the plugin");
    return false;
  }
}

export function proxy_on_context_create(contextId: u32, parentId: u32): void {
  if (parentId == 0) {
    const rootIdValue = getPropertyString(["plugin_root_id"]);
    const rootId = rootIdValue === null ? "" : rootIdValue;
    const factory = findRootFactory(rootId);
    const root = factory === null ? new UnregisteredRoot(contextId) : factory(contextId);
    root.rootId = rootId;
    contexts.set(contextId, root);
    afterCallback();
    return;
  }
  const parent = find(parentId);
  if (!(parent instanceof RootContext)) {
    log.error("stream context " + decimal(contextId) + " has unknown root " + decimal(parentId));
    return;
  }
  const root = changetype<RootContext>(parent);
  setCurrentContext(root);
  contexts.set(contextId, root.newHttpContext(contextId));
  afterCallback();
}

function readConfiguration(bufferType: BufferType): string {
  return fromUtf8(new Body(bufferType).get());
}

function find(contextId: u32): BaseContext | null {
  return contexts.has(contextId) ? contexts.get(contextId) : null;
}

/** The root context `contextId`, made current; null for unknown ids or streams. */
function root(contextId: u32): RootContext | null {
  const c = find(contextId);
  if (!(c instanceof RootContext)) return null;
  setCurrentContext(c);
  return changetype<RootContext>(c);
}

/** The HTTP context `contextId`, made current; null for unknown ids or roots. */
function stream(contextId: u32): HttpContext | null {
  const c = find(contextId);
  if (!(c instanceof HttpContext)) return null;
  setCurrentContext(c);
  return changetype<HttpContext>(c);
}

export function proxy_on_vm_start(contextId: u32, vmConfigurationSize: u32): bool {
  const r = root(contextId);
  const ok = r !== null && r.onVmStart(vmConfigurationSize == 0 ? "" : readConfiguration(BufferType.VmConfiguration));
  afterCallback();
  return ok;
}

export function proxy_on_configure(contextId: u32, configurationSize: u32): bool {
  const r = root(contextId);
  const ok = r !== null && r.onConfigure(configurationSize == 0 ? "" : readConfiguration(BufferType.PluginConfiguration));
  afterCallback();
  return ok;
}

export function proxy_on_tick(contextId: u32): void {
  const r = root(contextId);
  if (r !== null) r.onTick();
  afterCallback();
}

export function proxy_on_queue_ready(contextId: u32, queueId: u32): void {
  const r = root(contextId);
  if (r !== null) r.onQueueReady(queueId);
  afterCallback();
}

export function proxy_on_http_call_response(contextId: u32, token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
  const r = root(contextId);
  if (r !== null) r.onHttpCallResponse(new HttpCallResponse(token, headerCount, bodySize, trailerCount));
  afterCallback();
}

/** A unary gRPC reply: the message is in the gRPC receive buffer during this call. */
export function proxy_on_grpc_receive(contextId: u32, token: u32, messageSize: u32): void {
  const r = root(contextId);
  if (r !== null) {
    const message = messageSize == 0 ? new ArrayBuffer(0) : new Body(BufferType.GrpcReceiveBuffer).get();
    r.onGrpcCallResponse(new GrpcCallResponse(token, 0, message, ""));
  }
  afterCallback();
}

/** A gRPC call ended with an error status (unary success is reported by proxy_on_grpc_receive alone). */
export function proxy_on_grpc_close(contextId: u32, token: u32, status: u32): void {
  const r = root(contextId);
  if (r !== null) r.onGrpcCallResponse(new GrpcCallResponse(token, status, new ArrayBuffer(0), callStatusMessage()));
  afterCallback();
}

export function proxy_on_request_headers(contextId: u32, headerCount: u32, endOfStream: u32): Action {
  const s = stream(contextId);
  const action = s === null ? Action.Continue : s.onRequestHeaders(headerCount, endOfStream != 0);
  afterCallback();
  return action;
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: u32): Action {
  const s = stream(contextId);
  const action = s === null ? Action.Continue : s.onRequestBody(bodySize, endOfStream != 0);
  afterCallback();
  return action;
}

export function proxy_on_request_trailers(contextId: u32, trailerCount: u32): Action {
  const s = stream(contextId);
  const action = s === null ? Action.Continue : s.onRequestTrailers(trailerCount);
  afterCallback();
  return action;
}

export function proxy_on_response_headers(contextId: u32, headerCount: u32, endOfStream: u32): Action {
  const s = stream(contextId);
  const action = s === null ? Action.Continue : s.onResponseHeaders(headerCount, endOfStream != 0);
  afterCallback();
  return action;
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: u32): Action {
  const s = stream(contextId);
  const action = s === null ? Action.Continue : s.onResponseBody(bodySize, endOfStream != 0);
  afterCallback();
  return action;
}

export function proxy_on_response_trailers(contextId: u32, trailerCount: u32): Action {
  const s = stream(contextId);
  const action = s === null ? Action.Continue : s.onResponseTrailers(trailerCount);
  afterCallback();
  return action;
}

export function proxy_on_log(contextId: u32): void {
  const c = find(contextId);
  setCurrentContext(c);
  if (c instanceof HttpContext) changetype<HttpContext>(c).onLog();
  else if (c instanceof TcpContext) changetype<TcpContext>(c).onLog();
  afterCallback();
}

export function proxy_on_done(contextId: u32): bool {
  let finished = true;
  const c = find(contextId);
  setCurrentContext(c);
  if (c instanceof HttpContext) changetype<HttpContext>(c).onDone();
  else if (c instanceof TcpContext) changetype<TcpContext>(c).onDone();
  else if (c instanceof RootContext) finished = changetype<RootContext>(c).onDone();
  afterCallback();
  return finished;
}

export function proxy_on_delete(contextId: u32): void {
  const c = find(contextId);
  if (c !== null) {
    setCurrentContext(c);
    if (c instanceof HttpContext) changetype<HttpContext>(c).onDelete();
    else if (c instanceof TcpContext) changetype<TcpContext>(c).onDelete();
    else if (c instanceof RootContext) changetype<RootContext>(c).onDelete();
    contexts.delete(contextId);
  }
  setCurrentContext(null);
  afterCallback();
}

// ---- TCP (network plugins) -----------------------------------------------------------------

/** The TCP context `contextId`, made current; null for unknown ids or HTTP streams. */
function connection(contextId: u32): TcpContext | null {
  const c = find(contextId);
  if (!(c instanceof TcpContext)) return null;
  setCurrentContext(c);
  return changetype<TcpContext>(c);
}

export function proxy_on_new_connection(contextId: u32): Action {
  let action = Action.Continue;
  const c = find(contextId);
  if (c instanceof HttpContext) {
    // Streams are announced alike; this one is a connection: the root decides how to handle it.
    const tcp = changetype<HttpContext>(c).root.newTcpContext(contextId);
    if (tcp !== null) {
      contexts.set(contextId, tcp);
      setCurrentContext(tcp);
      action = tcp.onNewConnection();
    } else {
      contexts.delete(contextId);
    }
  }
  afterCallback();
  return action;
}

export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: u32): Action {
  const t = connection(contextId);
  const action = t === null ? Action.Continue : t.onDownstreamData(dataSize, endOfStream != 0);
  afterCallback();
  return action;
}

export function proxy_on_upstream_data(contextId: u32, dataSize: u32, endOfStream: u32): Action {
  const t = connection(contextId);
  const action = t === null ? Action.Continue : t.onUpstreamData(dataSize, endOfStream != 0);
  afterCallback();
  return action;
}

export function proxy_on_downstream_connection_close(contextId: u32, peer: u32): void {
  const t = connection(contextId);
  if (t !== null) t.onDownstreamClose(<PeerType>peer);
  afterCallback();
}

export function proxy_on_upstream_connection_close(contextId: u32, peer: u32): void {
  const t = connection(contextId);
  if (t !== null) t.onUpstreamClose(<PeerType>peer);
  afterCallback();
}
