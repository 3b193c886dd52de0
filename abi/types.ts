// Numeric vocabulary of the proxy-wasm ABI (spec + Envoy), as plain constant objects because the
// runtime only allows erasable TypeScript. Values are what crosses the Wasm boundary.

/** Status returned by every proxy_* hostcall (WasmResult). */
export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const MapType = {
  HttpRequestHeaders: 0,
  HttpRequestTrailers: 1,
  HttpResponseHeaders: 2,
  HttpResponseTrailers: 3,
  GrpcInitialMetadata: 4,
  GrpcTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcCallMessage: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  ForeignFunctionArguments: 8,
} as const;

export const StreamType = {
  HttpRequest: 0,
  HttpResponse: 1,
  Downstream: 2,
  Upstream: 3,
} as const;

export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;
export type MetricKind = (typeof MetricType)[keyof typeof MetricType];

/** proxy-wasm log levels (0..5). */
export const LogLevel = { Trace: 0, Debug: 1, Info: 2, Warn: 3, Error: 4, Critical: 5 } as const;

export const PeerType = { Unknown: 0, Local: 1, Remote: 2 } as const;

export type AbiVersion = '0.1.0' | '0.2.0' | '0.2.1';

/** Export names that mark a module's ABI version, in detection order. */
export const ABI_MARKERS: ReadonlyArray<readonly [string, AbiVersion]> = [
  ['proxy_abi_version_0_1_0', '0.1.0'],
  ['proxy_abi_version_0_2_0', '0.2.0'],
  ['proxy_abi_version_0_2_1', '0.2.1'],
];

/**
 * An ordered header/trailer/metadata list: lower-case names, repeated names allowed. Strings hold raw
 * header bytes as latin1 (what node's HTTP parser produces), so bytes round-trip exactly.
 * Structurally identical to runtime/filter's HeaderMap.
 */
export type HeaderPairs = Array<[name: string, value: string]>;

/**
 * What a stream callback asks the embedding proxy to do next. Values match runtime/filter's
 * FilterStatus for Continue/Stop/StopAndBuffer; Failed means the VM trapped during the call.
 */
export const StreamAction = {
  Continue: 0,
  Stop: 1,
  Buffer: 2,
  Failed: 3,
} as const;
export type StreamAction = (typeof StreamAction)[keyof typeof StreamAction];
