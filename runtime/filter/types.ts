// The filter chain contract between the data plane and anything that wants to see or change traffic
// (the proxy-wasm glue in runtime/plugin implements it; unit tests implement it with plain TypeScript).
// The semantics follow Envoy's HTTP/network filters as proxy-wasm exposes them:
//   - request callbacks run in route-chain order, response callbacks in reverse order;
//   - a callback returns a FilterStatus; Stop pauses that direction at this filter until `resume()`;
//   - while paused, later events of that direction (body chunks, trailers) wait at this filter and are
//     delivered to it, in order, after `resume()` (proxy-wasm: "pause in headers holds the body");
//   - StopAndBuffer from a body callback keeps accumulating: the filter is called again for every new
//     chunk with the whole accumulated body, and when it returns Continue the whole body moves on;
//   - a local reply may be sent at any time (also while paused); request processing ends, the upstream
//     request (if any) is cancelled, and the response callbacks run on the local reply;
//   - after the request headers passed every filter, the route is matched again (Envoy's route-cache
//     clear), so a filter that rewrites :path, :authority or a header can steer to another cluster.
// Routes without plugins never build a chain: zero cost on the hot path.

/** Returned by every data callback. Plain constants because the runtime only allows erasable syntax. */
export const FilterStatus = {
  /** Pass the event to the next filter. */
  Continue: 0,
  /** Hold this event (and later ones of the same direction) at this filter until `resume()`. */
  Stop: 1,
  /** Body only: keep accumulating; call again with the whole body at every new chunk. */
  StopAndBuffer: 2,
} as const;
export type FilterStatus = (typeof FilterStatus)[keyof typeof FilterStatus];

/**
 * An ordered header list: lower-case names, values as strings, repeated names allowed.
 * Request maps start with the pseudo-headers :method, :path, :authority, :scheme; response maps with
 * :status. Filters change it in place (push, splice, assign entries, or `length = 0` and refill).
 * The data plane converts to/from node headers (:authority <-> host for HTTP/1).
 */
export type HeaderMap = Array<[name: string, value: string]>;

/** A body chunk handed to a body callback. Assign `bytes` to replace what moves on. */
export interface BodyBuffer {
  bytes: Buffer;
}

/** Read-only facts about a stream, for proxy-wasm properties and logging. Fields fill in as they become known. */
export interface StreamInfo {
  readonly requestId: string;
  readonly listener: string;
  /** 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2'. */
  readonly protocol: string;
  /** 'http' | 'https' (downstream). */
  readonly scheme: string;
  /** Downstream peer. */
  readonly sourceAddress: string;
  readonly sourcePort: number;
  /** Downstream local side (our listener). */
  readonly destinationAddress: string;
  readonly destinationPort: number;
  /** Per-process downstream connection id. */
  readonly connectionId: number;
  readonly tls: boolean;
  /** Negotiated TLS version and SNI when TLS was terminated. */
  readonly tlsVersion: string | undefined;
  readonly serverName: string | undefined;
  /** Epoch ms when the request head was received. */
  readonly startTime: number;
  /** Selected route and cluster (after the latest route match). */
  readonly routeName: string | undefined;
  readonly clusterName: string | undefined;
  /** Upstream endpoint host:port once chosen. */
  readonly upstreamAddress: string | undefined;
  /** Response status once known (upstream or local reply). */
  readonly responseCode: number | undefined;
  /** 'via_upstream', 'local_reply', or a proxy error reason. */
  readonly responseCodeDetails: string | undefined;
  /** Request body bytes received and response body bytes sent so far. */
  readonly requestBodyBytes: number;
  readonly responseBodyBytes: number;
  /** Epoch ms when upstream response headers arrived; the request end time, once done. */
  readonly upstreamResponseTime: number | undefined;
  readonly endTime: number | undefined;
  /** The current request / response header maps (what filters see), for header properties. */
  readonly requestHeaders: HeaderMap | undefined;
  readonly responseHeaders: HeaderMap | undefined;
  readonly responseTrailers: HeaderMap | undefined;
}

/** What a filter may do outside its callbacks' return values. Given to the factory with each new stream. */
export interface HttpStreamControl {
  readonly info: StreamInfo;
  /** Continue the direction this filter paused (request or response, whichever is paused at this filter). */
  resumeRequest(): void;
  resumeResponse(): void;
  /**
   * Answer the downstream now instead of (or replacing) the upstream response. Headers are added to the
   * generated response. Ignored once the response headers were already sent downstream (then the stream
   * is reset instead).
   */
  sendLocalReply(status: number, headers: HeaderMap, body: Buffer | string, details?: string): void;
  /** Abort the stream: HTTP/1 closes the connection, HTTP/2 sends RST_STREAM. */
  resetStream(reason?: string): void;
  /**
   * Only from this filter's body callback at the end of a request / response that has no trailers: end it
   * with these trailers instead (Envoy's addDecodedTrailers / addEncodedTrailers). The body goes on without
   * end of stream and the filters after this one see the trailers in their trailers callback. Ignored
   * anywhere else. (An HTTP/1 peer only receives trailers on a chunked message.)
   */
  addRequestTrailers(trailers: HeaderMap): void;
  addResponseTrailers(trailers: HeaderMap): void;
}

/**
 * One filter instance per request per plugin in the route's chain. All callbacks are optional; a missing
 * callback means Continue. Callbacks must not throw; if one does, the stream gets a local 500 reply
 * (`remora-proxy-error: filter failed`).
 */
export interface HttpFilter {
  onRequestHeaders?(headers: HeaderMap, endOfStream: boolean): FilterStatus;
  onRequestBody?(body: BodyBuffer, endOfStream: boolean): FilterStatus;
  onRequestTrailers?(trailers: HeaderMap): FilterStatus;
  onResponseHeaders?(headers: HeaderMap, endOfStream: boolean): FilterStatus;
  onResponseBody?(body: BodyBuffer, endOfStream: boolean): FilterStatus;
  onResponseTrailers?(trailers: HeaderMap): FilterStatus;
  /** After the stream completed (or was reset), with final StreamInfo: access-log time. */
  onLog?(): void;
  /** Last call; release resources. Called exactly once per filter, after onLog. */
  onDone?(): void;
}

/** Facts about an opaque TCP connection. */
export interface ConnectionInfo {
  readonly listener: string;
  readonly connectionId: number;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly destinationAddress: string;
  readonly destinationPort: number;
  readonly clusterName: string | undefined;
  readonly upstreamAddress: string | undefined;
  readonly startTime: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface TcpConnectionControl {
  readonly info: ConnectionInfo;
  /** Deliver data held by Stop in that direction. */
  resumeDownstream(): void;
  resumeUpstream(): void;
  /** Close both sides (after flushing what was already written). */
  close(): void;
}

/**
 * Network filter for opaque TCP (listener.tcpPlugins). Data callbacks get the bytes held so far in that
 * direction (accumulated while earlier calls returned Stop); `data.bytes` may be replaced.
 */
export interface TcpFilter {
  /** Continue lets the upstream connection be opened; Stop waits for resumeDownstream(). */
  onNewConnection?(): FilterStatus;
  onDownstreamData?(data: BodyBuffer, endOfStream: boolean): FilterStatus;
  onUpstreamData?(data: BodyBuffer, endOfStream: boolean): FilterStatus;
  /** The downstream (client) or upstream side closed. */
  onDownstreamClose?(): void;
  onUpstreamClose?(): void;
  /** Last call, once per connection. */
  onDone?(): void;
}

/**
 * The Proxy receives this registry and asks it for filter instances; the runtime never imports abi/.
 * `create` may throw for an unknown or failed plugin: the stream then gets a 503 local reply
 * (`remora-proxy-error: filter failed`).
 */
export interface FilterFactory {
  create(pluginName: string, stream: HttpStreamControl): HttpFilter;
  createTcp?(pluginName: string, connection: TcpConnectionControl): TcpFilter;
}
