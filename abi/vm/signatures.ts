// The signatures the host expects of the callbacks it calls. JS would silently pad or drop
// arguments of a mismatched export; cpp-host refuses such a module at load, and so do we.

import type { AbiVersion } from '../types.ts';

/** Expected [params, results] of exports the host calls; `headers` arity depends on the ABI. */
export function expectedSignature(name: string, abi: AbiVersion): [number, number] | undefined {
  switch (name) {
    case 'proxy_on_request_headers':
    case 'proxy_on_response_headers':
      return [abi === '0.1.0' ? 2 : 3, 1];
    case 'proxy_on_context_create':
    case 'proxy_on_queue_ready':
    case 'proxy_on_downstream_connection_close':
    case 'proxy_on_upstream_connection_close':
      return [2, 0];
    case 'proxy_on_vm_start':
    case 'proxy_on_configure':
    case 'proxy_validate_configuration':
    case 'proxy_on_request_trailers':
    case 'proxy_on_response_trailers':
    case 'proxy_on_request_metadata':
    case 'proxy_on_response_metadata':
      return [2, 1];
    case 'proxy_on_tick':
    case 'proxy_on_log':
    case 'proxy_on_delete':
      return [1, 0];
    case 'proxy_on_new_connection':
    case 'proxy_on_done':
    case 'proxy_on_memory_allocate':
    case 'malloc':
      return [1, 1];
    case 'proxy_on_downstream_data':
    case 'proxy_on_upstream_data':
    case 'proxy_on_request_body':
    case 'proxy_on_response_body':
      return [3, 1];
    case 'proxy_on_http_call_response':
      return [5, 0];
    case 'proxy_on_grpc_receive_initial_metadata':
    case 'proxy_on_grpc_receive':
    case 'proxy_on_grpc_receive_trailing_metadata':
    case 'proxy_on_grpc_close':
    case 'proxy_on_foreign_function':
      return [3, 0];
    case '_initialize':
    case '_start':
      return [0, 0];
    default:
      return undefined;
  }
}
