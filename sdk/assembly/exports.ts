// The proxy-wasm 0.2.1 callbacks the host calls. A plugin's entry file re-exports this module:
//   export * from "@remora/sdk/assembly/exports";
// Each callback finds the context by id and calls the author's overridable method.
import { Action, BufferType } from "./enums";
import { allocateForHost, fromUtf8 } from "./memory";
import { Body } from "./http";
import { log } from "./log";
import { getPropertyString } from "./properties";
import {
  RootContext, HttpContext, HttpCallResponse, roots, streams, findRootFactory, setCurrentContext,
} from "./context";
import "./abort";

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
    roots.set(contextId, root);
    return;
  }
  if (!roots.has(parentId)) {
    log.error("stream context " + contextId.toString() + " has unknown root " + parentId.toString());
    return;
  }
  const root = roots.get(parentId);
  setCurrentContext(root);
  streams.set(contextId, root.newHttpContext(contextId));
}

function readConfiguration(bufferType: BufferType): string {
  return fromUtf8(new Body(bufferType).get());
}

function root(contextId: u32): RootContext | null {
  if (!roots.has(contextId)) return null;
  const r = roots.get(contextId);
  setCurrentContext(r);
  return r;
}

function stream(contextId: u32): HttpContext | null {
  if (!streams.has(contextId)) return null;
  const s = streams.get(contextId);
  setCurrentContext(s);
  return s;
}

export function proxy_on_vm_start(contextId: u32, vmConfigurationSize: u32): bool {
  const r = root(contextId);
  if (r === null) return false;
  return r.onVmStart(vmConfigurationSize == 0 ? "" : readConfiguration(BufferType.VmConfiguration));
}

export function proxy_on_configure(contextId: u32, configurationSize: u32): bool {
  const r = root(contextId);
  if (r === null) return false;
  return r.onConfigure(configurationSize == 0 ? "" : readConfiguration(BufferType.PluginConfiguration));
}

export function proxy_on_tick(contextId: u32): void {
  const r = root(contextId);
  if (r !== null) r.onTick();
}

export function proxy_on_queue_ready(contextId: u32, queueId: u32): void {
  const r = root(contextId);
  if (r !== null) r.onQueueReady(queueId);
}

export function proxy_on_http_call_response(contextId: u32, token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
  const r = root(contextId);
  if (r !== null) r.onHttpCallResponse(new HttpCallResponse(token, headerCount, bodySize, trailerCount));
}

export function proxy_on_request_headers(contextId: u32, headerCount: u32, endOfStream: u32): Action {
  const s = stream(contextId);
  return s === null ? Action.Continue : s.onRequestHeaders(headerCount, endOfStream != 0);
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: u32): Action {
  const s = stream(contextId);
  return s === null ? Action.Continue : s.onRequestBody(bodySize, endOfStream != 0);
}

export function proxy_on_request_trailers(contextId: u32, trailerCount: u32): Action {
  const s = stream(contextId);
  return s === null ? Action.Continue : s.onRequestTrailers(trailerCount);
}

export function proxy_on_response_headers(contextId: u32, headerCount: u32, endOfStream: u32): Action {
  const s = stream(contextId);
  return s === null ? Action.Continue : s.onResponseHeaders(headerCount, endOfStream != 0);
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: u32): Action {
  const s = stream(contextId);
  return s === null ? Action.Continue : s.onResponseBody(bodySize, endOfStream != 0);
}

export function proxy_on_response_trailers(contextId: u32, trailerCount: u32): Action {
  const s = stream(contextId);
  return s === null ? Action.Continue : s.onResponseTrailers(trailerCount);
}

export function proxy_on_log(contextId: u32): void {
  const s = stream(contextId);
  if (s !== null) s.onLog();
}

export function proxy_on_done(contextId: u32): bool {
  const s = stream(contextId);
  if (s !== null) {
    s.onDone();
    return true;
  }
  const r = root(contextId);
  return r === null ? true : r.onDone();
}

export function proxy_on_delete(contextId: u32): void {
  const s = stream(contextId);
  if (s !== null) {
    s.onDelete();
    streams.delete(contextId);
    return;
  }
  const r = root(contextId);
  if (r !== null) {
    r.onDelete();
    roots.delete(contextId);
  }
  setCurrentContext(null);
}

