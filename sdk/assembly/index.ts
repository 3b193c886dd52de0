// Remora's AssemblyScript SDK for proxy-wasm ABI 0.2.1 (plugins also run in Envoy).
//
// A plugin's entry file:
//
//   import { RootContext, HttpContext, Action, registerRoot, request, response, log } from "@remora/sdk/assembly";
//   export * from "@remora/sdk/assembly/exports";   // the proxy_on_* callbacks the host calls
//
//   class AddHeaderRoot extends RootContext {
//     value: string = "hello";
//     onConfigure(config: string): bool { ... parse with Json.parse(config) ...; return true; }
//     newHttpContext(id: u32): HttpContext { return new AddHeader(id, this); }
//   }
//   class AddHeader extends HttpContext {
//     onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
//       response.headers.set("x-hello", (this.root as AddHeaderRoot).value);
//       return Action.Continue;
//     }
//   }
//   registerRoot("add_header", (id: u32): RootContext => new AddHeaderRoot(id));
//
// Build with `remora plugin build`, or programmatically with `compilePlugin` from sdk/cli/compile.ts.
// The asc flags matter (PLUGIN_ASC_FLAGS there): -O3s --converge --noAssert --runtime minimal
// --exportStart _initialize --use abort=~lib/@remora/sdk/assembly/abort/remora_abort
// --use seed=~lib/@remora/sdk/assembly/abort/remora_seed. Without the `--use` flags the module imports
// `env.abort`, which neither Envoy nor Remora provide; with another runtime than `minimal` the SDK's
// collection at callback ends is skipped (incremental collects on its own, at a size/speed cost).

export { WasmResult, Action, LogLevel, BufferType, MapType, StreamType, MetricType, PeerType } from "./enums";
export { Header } from "./memory";
export { log } from "./log";
export {
  HeaderMap, Body, HttpMessage, request, response, sendLocalReply, continueRequest, continueResponse, closeStream,
  TcpDirection, downstream, upstream,
} from "./http";
export {
  BaseContext, RootContext, HttpContext, TcpContext, RootFactory, registerRoot, setTickPeriod,
  HttpCallResponse, HttpCallCallback, httpCall, pendingHttpCalls,
  GrpcCallResponse, GrpcCallCallback, grpcCall,
} from "./context";
export { SharedData, SharedValue, SharedQueue } from "./shared";
export { Counter, Gauge, Histogram } from "./metrics";
export {
  getProperty, setProperty, decodeString, decodeInt64, decodeBool, decodeMap,
  getPropertyString, getPropertyInt64, getPropertyBool,
} from "./properties";
export { Json, JsonValue, JsonKind } from "./json";
export { currentTimeNanos } from "./time";
export { callForeignFunction, ForeignCallResult } from "./foreign";
