// Numeric values of the proxy-wasm 0.2.1 enums (spec + Envoy, see shared/docs/proxy-wasm-abi.md §3).

/** Status returned by every host function. */
export enum WasmResult {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  BadExpression = 5,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  ResultMismatch = 9,
  InternalFailure = 10,
  BrokenConnection = 11,
  Unimplemented = 12,
}

/** What an HTTP callback tells the host to do next. */
export enum Action {
  /** Pass the headers/body/trailers on to the next filter and the upstream. */
  Continue = 0,
  /**
   * Headers: hold the stream (body too) until `resumeRequest()`/`resumeResponse()` or a local reply.
   * Body: buffer; the callback runs again with the cumulative size, and the whole body goes on at Continue.
   */
  Pause = 1,
}

export enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}

export enum BufferType {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  DownstreamData = 2,
  UpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcReceiveBuffer = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  CallData = 8,
}

export enum MapType {
  HttpRequestHeaders = 0,
  HttpRequestTrailers = 1,
  HttpResponseHeaders = 2,
  HttpResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4,
  GrpcReceiveTrailingMetadata = 5,
  HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
}

export enum StreamType {
  HttpRequest = 0,
  HttpResponse = 1,
  Downstream = 2,
  Upstream = 3,
}

export enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}

/** Which side closed a TCP connection. */
export enum PeerType {
  Unknown = 0,
  Local = 1,
  Remote = 2,
}
