// Test helper: hand-written proxy-wasm modules in WAT, compiled with the wabt npm package.
// `pluginWat` wraps a body with the ABI marker, a memory, a bump allocator and the imports the body
// references (only those, so version-specific imports can be checked).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
type Wabt = { parseWat(name: string, text: string, features?: Record<string, boolean>): { toBinary(o: object): { buffer: Uint8Array }; destroy(): void } };
let wabtPromise: Promise<Wabt> | undefined;

export async function compileWat(text: string): Promise<Uint8Array> {
  wabtPromise ??= (require('wabt') as () => Promise<Wabt>)();
  const wabt = await wabtPromise;
  const mod = wabt.parseWat('test.wat', text, { mutable_globals: true, sign_extension: true, bulk_memory: true });
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** Import signatures by name: [module, params, result]. */
const IMPORTS: Record<string, [string, string, string]> = {
  proxy_log: ['env', 'i32 i32 i32', 'i32'],
  proxy_get_log_level: ['env', 'i32', 'i32'],
  proxy_get_current_time_nanoseconds: ['env', 'i32', 'i32'],
  proxy_set_tick_period_milliseconds: ['env', 'i32', 'i32'],
  proxy_get_buffer_bytes: ['env', 'i32 i32 i32 i32 i32', 'i32'],
  proxy_set_buffer_bytes: ['env', 'i32 i32 i32 i32 i32', 'i32'],
  proxy_get_buffer_status: ['env', 'i32 i32 i32', 'i32'],
  proxy_get_configuration: ['env', 'i32 i32', 'i32'],
  proxy_get_header_map_pairs: ['env', 'i32 i32 i32', 'i32'],
  proxy_set_header_map_pairs: ['env', 'i32 i32 i32', 'i32'],
  proxy_get_header_map_value: ['env', 'i32 i32 i32 i32 i32', 'i32'],
  proxy_add_header_map_value: ['env', 'i32 i32 i32 i32 i32', 'i32'],
  proxy_replace_header_map_value: ['env', 'i32 i32 i32 i32 i32', 'i32'],
  proxy_remove_header_map_value: ['env', 'i32 i32 i32', 'i32'],
  proxy_get_header_map_size: ['env', 'i32 i32', 'i32'],
  proxy_continue_stream: ['env', 'i32', 'i32'],
  proxy_close_stream: ['env', 'i32', 'i32'],
  proxy_continue_request: ['env', '', 'i32'],
  proxy_continue_response: ['env', '', 'i32'],
  proxy_clear_route_cache: ['env', '', 'i32'],
  proxy_send_local_response: ['env', 'i32 i32 i32 i32 i32 i32 i32 i32', 'i32'],
  proxy_http_call: ['env', 'i32 i32 i32 i32 i32 i32 i32 i32 i32 i32', 'i32'],
  proxy_grpc_call: ['env', 'i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32', 'i32'],
  proxy_grpc_stream: ['env', 'i32 i32 i32 i32 i32 i32 i32 i32 i32', 'i32'],
  proxy_grpc_send: ['env', 'i32 i32 i32 i32', 'i32'],
  proxy_grpc_cancel: ['env', 'i32', 'i32'],
  proxy_grpc_close: ['env', 'i32', 'i32'],
  proxy_get_status: ['env', 'i32 i32 i32', 'i32'],
  proxy_get_shared_data: ['env', 'i32 i32 i32 i32 i32', 'i32'],
  proxy_set_shared_data: ['env', 'i32 i32 i32 i32 i32', 'i32'],
  proxy_register_shared_queue: ['env', 'i32 i32 i32', 'i32'],
  proxy_resolve_shared_queue: ['env', 'i32 i32 i32 i32 i32', 'i32'],
  proxy_enqueue_shared_queue: ['env', 'i32 i32 i32', 'i32'],
  proxy_dequeue_shared_queue: ['env', 'i32 i32 i32', 'i32'],
  proxy_define_metric: ['env', 'i32 i32 i32 i32', 'i32'],
  proxy_increment_metric: ['env', 'i32 i64', 'i32'],
  proxy_record_metric: ['env', 'i32 i64', 'i32'],
  proxy_get_metric: ['env', 'i32 i32', 'i32'],
  proxy_get_property: ['env', 'i32 i32 i32 i32', 'i32'],
  proxy_set_property: ['env', 'i32 i32 i32 i32', 'i32'],
  proxy_set_effective_context: ['env', 'i32', 'i32'],
  proxy_done: ['env', '', 'i32'],
  proxy_call_foreign_function: ['env', 'i32 i32 i32 i32 i32 i32', 'i32'],
  fd_write: ['wasi_snapshot_preview1', 'i32 i32 i32 i32', 'i32'],
  proc_exit: ['wasi_snapshot_preview1', 'i32', ''],
  clock_time_get: ['wasi_snapshot_preview1', 'i32 i64 i32', 'i32'],
  random_get: ['wasi_snapshot_preview1', 'i32 i32', 'i32'],
  environ_sizes_get: ['wasi_snapshot_preview1', 'i32 i32', 'i32'],
  environ_get: ['wasi_snapshot_preview1', 'i32 i32', 'i32'],
  poll_oneoff: ['wasi_snapshot_preview1', 'i32 i32 i32 i32', 'i32'],
  unstable_fd_write: ['wasi_unstable', 'i32 i32 i32 i32', 'i32'],
};

export interface WatOptions {
  /** ABI marker suffix, e.g. '0_2_1'; null for none. Default '0_2_1'. */
  abi?: string | null;
  /** Allocator export: a bump `malloc` (default), `proxy_on_memory_allocate`, or none. */
  allocator?: 'malloc' | 'proxy_on_memory_allocate' | 'none';
  /** Memory pages (64 KiB). Default 2. Heap starts at 32768. */
  pages?: number;
}

/**
 * Builds a module. The body may use `$name` for any import in IMPORTS (only referenced ones are
 * declared), and stores results at fixed addresses the test reads back.
 */
export function pluginWat(body: string, opts: WatOptions = {}): string {
  const abi = opts.abi === undefined ? '0_2_1' : opts.abi;
  const imports = Object.entries(IMPORTS)
    .filter(([name]) => new RegExp(`\\$${name}\\b`).test(body))
    .map(([name, [mod, params, result]]) => {
      const field = name.startsWith('unstable_') ? name.slice('unstable_'.length) : name;
      return `(import "${mod}" "${field}" (func $${name}${params ? ` (param ${params})` : ''}${result ? ` (result ${result})` : ''}))`;
    });
  const alloc = opts.allocator ?? 'malloc';
  const allocFn =
    alloc === 'none'
      ? ''
      : `(global $heap (mut i32) (i32.const 32768))
  (func (export "${alloc}") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))`;
  return `(module
  ${imports.join('\n  ')}
  (memory (export "memory") ${opts.pages ?? 2})
  ${abi ? `(func (export "proxy_abi_version_${abi}"))` : ''}
  ${allocFn}
  ${body}
)`;
}
