// runtime/plugin: the proxy-wasm glue between the data plane's filter interface and abi/.
export { WasmPluginRuntime, checkPlugins } from './runtime.ts';
export type { PluginRuntimeOptions } from './runtime.ts';
export { BODY_BUFFER_LIMIT } from './http-filter.ts';
