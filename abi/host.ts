// The interface the embedding proxy implements for the host, in the spirit of proxy-wasm-cpp-host's
// ContextBase: hostcalls only ever talk to these objects, so abi/ never touches sockets.
// PluginHost serves one configured plugin (its root context and the VM-level services);
// StreamHost serves one HTTP stream or TCP connection. Header maps and buffers are not behind
// methods: they are plain data on the stream context (see context/context.ts), set by the embedder
// before each callback and read back after it.

import type { HeaderPairs } from './types.ts';
import type { PropertyValue } from './hostcalls/property-encoding.ts';

/** A request from `proxy_http_call`, already parsed from plugin memory. */
export interface HttpCallRequest {
  /** Cluster name as given by the plugin. */
  cluster: string;
  /** Includes :method, :path, :authority (checked present) and optional :scheme. */
  headers: HeaderPairs;
  body: Uint8Array;
  trailers: HeaderPairs;
  /** 0 = no timeout. */
  timeoutMs: number;
}

/** An HTTP callout answer. A reset (no response at all) is reported as `undefined` instead. */
export interface HttpCallResponse {
  /** Includes :status. */
  headers: HeaderPairs;
  body: Uint8Array;
  trailers: HeaderPairs;
}

/** Outcome of starting a callout, as the host sees it. */
export type CalloutStart = 'ok' | 'unknown-cluster' | 'failed';

/** A handle to cancel an outstanding callout (the answer must then never be delivered). */
export interface CalloutHandle {
  cancel(): void;
}

export interface GrpcCallRequest {
  cluster: string;
  service: string;
  method: string;
  initialMetadata: HeaderPairs;
  /** Unary request message (serialized protobuf), empty for streams. */
  message: Uint8Array;
  timeoutMs: number;
}

/** Events of a gRPC call or stream, delivered by the host in this order. */
export interface GrpcEvents {
  initialMetadata(md: HeaderPairs): void;
  message(msg: Uint8Array): void;
  trailingMetadata(md: HeaderPairs): void;
  /** Final status (0 = OK) and message. Always the last event. */
  close(status: number, message: string): void;
}

export interface GrpcStreamHandle extends CalloutHandle {
  send(message: Uint8Array, endStream: boolean): void;
  /** Half-close the local side. */
  close(): void;
}

/** One log line from a plugin (proxy_log or WASI stdout/stderr). Level is proxy-wasm's 0..5. */
export type LogSink = (level: number, message: string) => void;

/** Everything the host needs from the proxy for one plugin. Only `log` is required. */
export interface PluginHost {
  log: LogSink;
  /** Current proxy-wasm log level (0..5) for `proxy_get_log_level`. Default Info (2). */
  logLevel?(): number;
  /** Starts an HTTP callout; `done` is called once, later or synchronously. */
  httpCall?(req: HttpCallRequest, done: (res: HttpCallResponse | undefined) => void): CalloutStart | CalloutHandle;
  /** Starts a unary gRPC call; events arrive through `events`. */
  grpcCall?(req: GrpcCallRequest, events: GrpcEvents): CalloutStart | CalloutHandle;
  /** Opens a bidirectional gRPC stream. */
  grpcStream?(req: GrpcCallRequest, events: GrpcEvents): CalloutStart | GrpcStreamHandle;
  /** Root-level properties (e.g. node metadata, xds.*); stream properties come from StreamHost. */
  property?(path: string[]): PropertyValue | undefined;
  /** Host foreign functions; `undefined` = unknown name (NOT_FOUND). */
  foreignFunction?(name: string, args: Uint8Array): Uint8Array | undefined;
}

/** A local reply requested by `proxy_send_local_response`. */
export interface LocalReply {
  status: number;
  /** Response code details, spaces replaced by `_` (as Envoy). */
  details: string;
  body: Uint8Array;
  /** Headers to add to the generated response, lower-case names. */
  headers: HeaderPairs;
  /** gRPC status 0..16, or undefined for a plain HTTP reply. */
  grpcStatus: number | undefined;
}

/**
 * What the proxy does for one stream (HTTP request/response or TCP connection). Calls arrive after
 * the plugin callback that asked for them returned (Envoy's deferred, non-reentrant actions).
 */
export interface StreamHost {
  /** Resume a paused direction (StreamType HttpRequest/HttpResponse/Downstream). */
  continueStream(streamType: number): void;
  /** HTTP: reset the stream; TCP: close that side after flushing. */
  closeStream(streamType: number): void;
  /** HTTP only; TCP hosts may ignore it. */
  sendLocalResponse(reply: LocalReply): void;
  /** Stream attributes (request.*, source.*, ...). `undefined` = not found. */
  property?(path: string[]): PropertyValue | undefined;
}
