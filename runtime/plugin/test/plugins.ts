// WAT plugins for the runtime/plugin integration tests, compiled with wabt into a temp folder.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileWat, pluginWat } from '../../../abi/test/wat.ts';
import { serializePairs } from '../../../abi/index.ts';

/** Bytes as a WAT data string. */
export function watBytes(b: Uint8Array): string {
  return Array.from(b, (x) => `\\${x.toString(16).padStart(2, '0')}`).join('');
}

const CALL_HEADERS = serializePairs([[':method', 'GET'], [':path', '/check'], [':authority', 'auth.local']]);

/**
 * One module, several behaviours keyed by request headers:
 *   x-trap        -> unreachable in on_request_headers
 *   x-deny        -> local reply 403 "no entry" with x-deny-reason: test
 *   x-grpc-deny   -> local reply with grpc_status 7 (PERMISSION_DENIED), message "no entry"
 *   x-grpc-check  -> unary gRPC call remora.test.Echo/Unary {text: "hi"} to cluster "grpc"; the reply's
 *                    text is added as x-grpc and the request continues; a failed call replies 403
 *   x-check       -> http_call to cluster "auth" GET /check; on 2xx adds x-auth: ok and continues,
 *                    otherwise replies 403
 * Always: adds x-wasm-req: yes to requests and x-wasm-res: yes to responses; logs "hello from wasm"
 * at info in on_configure; defines counter wasm_requests_total and increments it per request.
 * Request bodies are buffered until end of stream and prefixed with "PRE:" (content-length removed).
 */
export const GLUE_PLUGIN = `
  (data (i32.const 0x400) "x-wasm-req")
  (data (i32.const 0x410) "yes")
  (data (i32.const 0x420) "x-wasm-res")
  (data (i32.const 0x430) "x-trap")
  (data (i32.const 0x440) "x-deny")
  (data (i32.const 0x450) "denied by plugin")
  (data (i32.const 0x470) "no entry")
  (data (i32.const 0x480) "hello from wasm")
  (data (i32.const 0x490) "wasm_requests_total")
  (data (i32.const 0x4b0) "content-length")
  (data (i32.const 0x4c0) "PRE:")
  (data (i32.const 0x4d0) "x-check")
  (data (i32.const 0x4e0) "auth")
  (data (i32.const 0x4f0) ":status")
  (data (i32.const 0x500) "x-auth")
  (data (i32.const 0x510) "ok")
  (data (i32.const 0x520) "x-grpc-deny")
  (data (i32.const 0x530) "x-grpc-check")
  (data (i32.const 0x540) "grpc")
  (data (i32.const 0x550) "remora.test.Echo")
  (data (i32.const 0x570) "Unary")
  (data (i32.const 0x580) "\\0a\\02hi")
  (data (i32.const 0x590) "x-grpc")
  (data (i32.const 0x600) "${watBytes(serializePairs([['x-deny-reason', 'test']]))}")
  (data (i32.const 0x700) "${watBytes(CALL_HEADERS)}")
  (global $counter (mut i32) (i32.const 0))
  (global $waiting (mut i32) (i32.const 0))
  (func $has (param $ptr i32) (param $len i32) (result i32)
    (i32.eqz (call $proxy_get_header_map_value (i32.const 0) (local.get $ptr) (local.get $len) (i32.const 0x100) (i32.const 0x104))))
  (func (export "proxy_on_configure") (param $r i32) (param $n i32) (result i32)
    (drop (call $proxy_log (i32.const 2) (i32.const 0x480) (i32.const 15)))
    (drop (call $proxy_define_metric (i32.const 0) (i32.const 0x490) (i32.const 19) (i32.const 0x110)))
    (global.set $counter (i32.load (i32.const 0x110)))
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param $c i32) (param $n i32) (param $eos i32) (result i32)
    (drop (call $proxy_increment_metric (global.get $counter) (i64.const 1)))
    (if (call $has (i32.const 0x430) (i32.const 6)) (then unreachable))
    (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x400) (i32.const 10) (i32.const 0x410) (i32.const 3)))
    (drop (call $proxy_remove_header_map_value (i32.const 0) (i32.const 0x4b0) (i32.const 14)))
    (if (call $has (i32.const 0x440) (i32.const 6)) (then
      (drop (call $proxy_send_local_response (i32.const 403) (i32.const 0x450) (i32.const 16) (i32.const 0x470) (i32.const 8)
        (i32.const 0x600) (i32.const ${serializePairs([['x-deny-reason', 'test']]).length}) (i32.const -1)))
      (return (i32.const 1))))
    (if (call $has (i32.const 0x520) (i32.const 11)) (then
      (drop (call $proxy_send_local_response (i32.const 403) (i32.const 0x450) (i32.const 16) (i32.const 0x470) (i32.const 8)
        (i32.const 0) (i32.const 0) (i32.const 7)))
      (return (i32.const 1))))
    (if (call $has (i32.const 0x530) (i32.const 12)) (then
      (global.set $waiting (local.get $c))
      (drop (call $proxy_grpc_call (i32.const 0x540) (i32.const 4) (i32.const 0x550) (i32.const 16) (i32.const 0x570) (i32.const 5)
        (i32.const 0) (i32.const 0) (i32.const 0x580) (i32.const 4) (i32.const 5000) (i32.const 0x124)))
      (return (i32.const 1))))
    (if (call $has (i32.const 0x4d0) (i32.const 7)) (then
      (global.set $waiting (local.get $c))
      (drop (call $proxy_http_call (i32.const 0x4e0) (i32.const 4) (i32.const 0x700) (i32.const ${CALL_HEADERS.length})
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 5000) (i32.const 0x120)))
      (return (i32.const 1))))
    (i32.const 0))
  (func (export "proxy_on_http_call_response") (param $r i32) (param $t i32) (param $nh i32) (param $nb i32) (param $nt i32)
    (drop (call $proxy_set_effective_context (global.get $waiting)))
    (drop (call $proxy_get_header_map_value (i32.const 6) (i32.const 0x4f0) (i32.const 7) (i32.const 0x130) (i32.const 0x134)))
    (if (i32.and (i32.gt_u (local.get $nh) (i32.const 0)) (i32.eq (i32.load8_u (i32.load (i32.const 0x130))) (i32.const 50)))
      (then
        (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x500) (i32.const 6) (i32.const 0x510) (i32.const 2)))
        (drop (call $proxy_continue_stream (i32.const 0))))
      (else
        (drop (call $proxy_send_local_response (i32.const 403) (i32.const 0x450) (i32.const 16) (i32.const 0x470) (i32.const 8)
          (i32.const 0) (i32.const 0) (i32.const -1))))))
  (func (export "proxy_on_grpc_receive") (param $r i32) (param $t i32) (param $size i32)
    (drop (call $proxy_set_effective_context (global.get $waiting)))
    (drop (call $proxy_get_buffer_bytes (i32.const 5) (i32.const 0) (local.get $size) (i32.const 0x140) (i32.const 0x144)))
    ;; EchoReply{text}: value bytes start at offset 2, length at offset 1
    (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x590) (i32.const 6)
      (i32.add (i32.load (i32.const 0x140)) (i32.const 2)) (i32.load8_u (i32.add (i32.load (i32.const 0x140)) (i32.const 1)))))
    (drop (call $proxy_continue_stream (i32.const 0))))
  (func (export "proxy_on_grpc_close") (param $r i32) (param $t i32) (param $status i32)
    (drop (call $proxy_set_effective_context (global.get $waiting)))
    (drop (call $proxy_send_local_response (i32.const 403) (i32.const 0x450) (i32.const 16) (i32.const 0x470) (i32.const 8)
      (i32.const 0) (i32.const 0) (i32.const -1))))
  (func (export "proxy_on_request_body") (param $c i32) (param $size i32) (param $eos i32) (result i32)
    (if (i32.eqz (local.get $eos)) (then (return (i32.const 1))))
    (drop (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0x4c0) (i32.const 4)))
    (i32.const 0))
  (func (export "proxy_on_response_headers") (param $c i32) (param $n i32) (param $eos i32) (result i32)
    (drop (call $proxy_add_header_map_value (i32.const 2) (i32.const 0x420) (i32.const 10) (i32.const 0x410) (i32.const 3)))
    (i32.const 0))`;

/** Writes `wat` (a pluginWat body) compiled to a temp .wasm file; returns its path. */
export async function wasmFile(body: string, name = 'plugin'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'remora-wasm-'));
  const path = join(dir, `${name}.wasm`);
  writeFileSync(path, await compileWat(pluginWat(body)));
  return path;
}

/** Adds the response trailer `x-wasm-trailer: done` in on_response_body at the end of stream. */
export const TRAILER_PLUGIN = `
  (data (i32.const 0x400) "x-wasm-trailer")
  (data (i32.const 0x410) "done")
  (func (export "proxy_on_context_create") (param $c i32) (param $p i32))
  (func (export "proxy_on_response_body") (param $c i32) (param $n i32) (param $eos i32) (result i32)
    (if (local.get $eos)
      (then (drop (call $proxy_add_header_map_value (i32.const 3) (i32.const 0x400) (i32.const 14) (i32.const 0x410) (i32.const 4)))))
    (i32.const 0))`;

/** Network filter: prefixes client bytes with "W:" and suffixes backend bytes with "!". */
export const TCP_PLUGIN = `
  (data (i32.const 0x400) "W:")
  (data (i32.const 0x410) "!")
  (func (export "proxy_on_new_connection") (param $c i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param $c i32) (param $size i32) (param $eos i32) (result i32)
    (if (local.get $size) (then (drop (call $proxy_set_buffer_bytes (i32.const 2) (i32.const 0) (i32.const 0) (i32.const 0x400) (i32.const 2)))))
    (i32.const 0))
  (func (export "proxy_on_upstream_data") (param $c i32) (param $size i32) (param $eos i32) (result i32)
    (if (local.get $size) (then (drop (call $proxy_set_buffer_bytes (i32.const 3) (local.get $size) (i32.const 0) (i32.const 0x410) (i32.const 1)))))
    (i32.const 0))`;
