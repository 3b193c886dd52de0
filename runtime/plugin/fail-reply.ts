// The answer to a stream whose plugin failed (failStrategy close / reload): 503 at once with
// `remora-proxy-error: plugin <name> failed`, details wasm_fail_stream as Envoy.

import type { HttpStreamControl } from '../filter/types.ts';

export function failStream(control: HttpStreamControl, plugin: string): void {
  control.sendLocalReply(503, [['remora-proxy-error', `plugin ${plugin} failed`]], `plugin ${plugin} failed\n`, 'wasm_fail_stream');
}
