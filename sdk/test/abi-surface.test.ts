// The SDK's Wasm boundary, read from a built module: every import is a proxy-wasm 0.2.1 host function
// from `env` with exactly the signature Envoy links (cpp-host refuses a module on any type mismatch),
// and every callback export has the signature the host calls.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { buildTargets, buildTarget } from '../build.ts';

const wasm = join(import.meta.dirname, 'build', 'features.wasm');

const i32 = (n: number) => Array(n).fill('i32').join(' ');
/** Reference §3.4 (imports) and §2.1 (exports), as `params -> results`. */
const IMPORTS: Record<string, string> = {
  proxy_log: `${i32(3)} -> i32`,
  proxy_get_log_level: `${i32(1)} -> i32`,
  proxy_get_current_time_nanoseconds: `${i32(1)} -> i32`,
  proxy_set_tick_period_milliseconds: `${i32(1)} -> i32`,
  proxy_get_buffer_bytes: `${i32(5)} -> i32`,
  proxy_set_buffer_bytes: `${i32(5)} -> i32`,
  proxy_get_buffer_status: `${i32(3)} -> i32`,
  proxy_get_header_map_pairs: `${i32(3)} -> i32`,
  proxy_set_header_map_pairs: `${i32(3)} -> i32`,
  proxy_get_header_map_value: `${i32(5)} -> i32`,
  proxy_add_header_map_value: `${i32(5)} -> i32`,
  proxy_replace_header_map_value: `${i32(5)} -> i32`,
  proxy_remove_header_map_value: `${i32(3)} -> i32`,
  proxy_continue_stream: `${i32(1)} -> i32`,
  proxy_close_stream: `${i32(1)} -> i32`,
  proxy_send_local_response: `${i32(8)} -> i32`,
  proxy_http_call: `${i32(10)} -> i32`,
  proxy_get_shared_data: `${i32(5)} -> i32`,
  proxy_set_shared_data: `${i32(5)} -> i32`,
  proxy_register_shared_queue: `${i32(3)} -> i32`,
  proxy_resolve_shared_queue: `${i32(5)} -> i32`,
  proxy_enqueue_shared_queue: `${i32(3)} -> i32`,
  proxy_dequeue_shared_queue: `${i32(3)} -> i32`,
  proxy_define_metric: `${i32(4)} -> i32`,
  proxy_increment_metric: 'i32 i64 -> i32',
  proxy_record_metric: 'i32 i64 -> i32',
  proxy_get_metric: `${i32(2)} -> i32`,
  proxy_get_property: `${i32(4)} -> i32`,
  proxy_set_property: `${i32(4)} -> i32`,
  proxy_set_effective_context: `${i32(1)} -> i32`,
  proxy_done: ' -> i32',
  proxy_grpc_call: `${i32(12)} -> i32`,
  proxy_get_status: `${i32(3)} -> i32`,
  proxy_call_foreign_function: `${i32(6)} -> i32`,
};
const EXPORTS: Record<string, string> = {
  proxy_abi_version_0_2_1: ' -> ',
  _initialize: ' -> ',
  malloc: `${i32(1)} -> i32`,
  proxy_on_memory_allocate: `${i32(1)} -> i32`,
  proxy_on_context_create: `${i32(2)} -> `,
  proxy_on_vm_start: `${i32(2)} -> i32`,
  proxy_on_configure: `${i32(2)} -> i32`,
  proxy_on_tick: `${i32(1)} -> `,
  proxy_on_queue_ready: `${i32(2)} -> `,
  proxy_on_http_call_response: `${i32(5)} -> `,
  proxy_on_request_headers: `${i32(3)} -> i32`,
  proxy_on_request_body: `${i32(3)} -> i32`,
  proxy_on_request_trailers: `${i32(2)} -> i32`,
  proxy_on_response_headers: `${i32(3)} -> i32`,
  proxy_on_response_body: `${i32(3)} -> i32`,
  proxy_on_response_trailers: `${i32(2)} -> i32`,
  proxy_on_log: `${i32(1)} -> `,
  proxy_on_done: `${i32(1)} -> i32`,
  proxy_on_delete: `${i32(1)} -> `,
  proxy_on_grpc_receive: `${i32(3)} -> `,
  proxy_on_grpc_close: `${i32(3)} -> `,
  proxy_on_new_connection: `${i32(1)} -> i32`,
  proxy_on_downstream_data: `${i32(3)} -> i32`,
  proxy_on_upstream_data: `${i32(3)} -> i32`,
  proxy_on_downstream_connection_close: `${i32(2)} -> `,
  proxy_on_upstream_connection_close: `${i32(2)} -> `,
};

interface Surface {
  imports: Map<string, string>;
  exports: Map<string, string>;
}

/** Reads import/export signatures from the module's text form. */
async function surface(file: string): Promise<Surface> {
  const wabt = await wabtInit();
  const text = wabt.readWasm(readFileSync(file), { readDebugNames: false }).toText({});
  const sig = (s: string) => {
    const params = /\(param ([^)]*)\)/.exec(s)?.[1] ?? '';
    const results = /\(result ([^)]*)\)/.exec(s)?.[1] ?? '';
    return `${params} -> ${results}`;
  };
  const types = new Map<string, string>();
  for (const m of text.matchAll(/^\s*\(type \(;(\d+);\) \(func(.*)\)\)$/gm)) types.set(m[1]!, sig(m[2]!));
  const funcTypes: string[] = [];
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/^\s*\(import "([^"]+)" "([^"]+)" \(func \(;(\d+);\) \(type (\d+)\)\)\)$/gm)) {
    imports.set(`${m[1]}.${m[2]}`, types.get(m[4]!)!);
    funcTypes[Number(m[3])] = types.get(m[4]!)!;
  }
  for (const m of text.matchAll(/^\s*\(func \(;(\d+);\) \(type (\d+)\)/gm)) funcTypes[Number(m[1])] = types.get(m[2]!)!;
  const exports = new Map<string, string>();
  for (const m of text.matchAll(/^\s*\(export "([^"]+)" \(func (\d+)\)\)$/gm)) exports.set(m[1]!, funcTypes[Number(m[2])]!);
  return { imports, exports };
}

describe('SDK Wasm boundary', () => {
  let s: Surface;
  before(async () => {
    await buildTarget(buildTargets().find((t) => t.out === wasm)!);
    s = await surface(wasm);
  });

  it('imports only proxy-wasm host functions, with Envoy\'s signatures', () => {
    assert.ok(s.imports.size >= 25, `${s.imports.size} imports`);
    for (const [name, signature] of s.imports) {
      const [module, fn] = name.split('.');
      assert.equal(module, 'env', name);
      assert.equal(signature, IMPORTS[fn!], name);
    }
  });

  it('exports the ABI marker, the allocator and every callback with the signature the host calls', () => {
    for (const [name, signature] of Object.entries(EXPORTS)) assert.equal(s.exports.get(name), signature, name);
    const unexpected = [...s.exports.keys()].filter((n) => !(n in EXPORTS) && n !== 'memory');
    assert.deepEqual(unexpected, []);
  });
});
