// Test harness for proxy-wasm plugins, for node:test (or any runner):
//
//   import { loadPlugin } from '@remora/sdk/harness';
//   const h = await loadPlugin('build/plugin.wasm', { config: { response: { 'x-hello': 'world' } } });
//   const s = await h.request({ request: { headers: { ':path': '/' } } });
//   assert.equal(s.response.headers.get('x-hello'), 'world');
//
// The plugin runs on Remora's own host (abi/), exactly as in the proxy, minus the sockets.
export { loadPlugin, PluginHarness, PluginStartError } from './plugin-harness.ts';
export { HttpCallRecord, GrpcCallRecord } from './call-records.ts';
export type { LoadOptions, LogEntry, LogLevelName, MetricValue } from './plugin-harness.ts';
export { HarnessStream } from './stream.ts';
export type { StreamOptions, RequestInit, ResponseInit, UpstreamRequest, LocalReplyView, ActionName } from './stream.ts';
export { HarnessConnection } from './connection.ts';
export type { ConnectionOptions } from './connection.ts';
export { HeaderView } from './headers.ts';
export type { HeadersInit, BodyInit } from './headers.ts';
export { compilePlugin, PLUGIN_ASC_FLAGS } from '../cli/compile.ts';
export type { CompileOptions, CompileResult } from '../cli/compile.ts';
