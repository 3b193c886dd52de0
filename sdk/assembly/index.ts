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
// Build with `remora plugin build` (asc -O3 --runtime incremental --exportStart _initialize
// --use abort=remora_abort --use seed=remora_seed).

export { WasmResult, Action, LogLevel, BufferType, MapType, StreamType, MetricType } from "./enums";
export { Header } from "./memory";
export { log } from "./log";
export {
  HeaderMap, Body, HttpMessage, request, response, sendLocalReply, continueRequest, continueResponse, closeStream,
} from "./http";
export {
  BaseContext, RootContext, HttpContext, RootFactory, registerRoot, setTickPeriod,
  HttpCallResponse, HttpCallCallback, httpCall, pendingHttpCalls,
} from "./context";
export { SharedData, SharedValue, SharedQueue } from "./shared";
export { Counter, Gauge, Histogram } from "./metrics";
export {
  getProperty, setProperty, decodeString, decodeInt64, decodeBool, decodeMap,
  getPropertyString, getPropertyInt64, getPropertyBool,
} from "./properties";
export { Json, JsonValue, JsonKind } from "./json";
export { currentTimeNanos } from "./time";
