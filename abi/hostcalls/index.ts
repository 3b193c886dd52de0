// The `env` import object for one VM: every hostcall, minus those the module's ABI version lacks
// (cpp-host registers version-specific imports only for that version, reference §2.3).

import type { WasmVm } from '../vm/vm.ts';
import { logTimeImports } from './log-time.ts';
import { bufferImports } from './buffers.ts';
import { headerMapImports } from './header-maps.ts';
import { streamControlImports } from './stream-control.ts';
import { calloutImports } from './callouts.ts';
import { sharedStateImports } from './shared-state.ts';
import { metricImports } from './metrics.ts';
import { propertyImports } from './properties.ts';
import { contextMiscImports } from './context-misc.ts';

const ONLY_0_1_0 = ['proxy_get_configuration', 'proxy_continue_request', 'proxy_continue_response', 'proxy_clear_route_cache'];
const ONLY_0_2_X = ['proxy_continue_stream', 'proxy_close_stream'];
const ONLY_0_2_1 = ['proxy_get_log_level'];

export function buildImports(vm: WasmVm): Record<string, (...args: any[]) => number | void> {
  const all: Record<string, (...args: any[]) => number | void> = {
    ...logTimeImports(vm),
    ...bufferImports(vm),
    ...headerMapImports(vm),
    ...streamControlImports(vm),
    ...calloutImports(vm),
    ...sharedStateImports(vm),
    ...metricImports(vm),
    ...propertyImports(vm),
    ...contextMiscImports(vm),
  };
  const drop = vm.abi === '0.1.0' ? [...ONLY_0_2_X, ...ONLY_0_2_1] : vm.abi === '0.2.0' ? [...ONLY_0_1_0, ...ONLY_0_2_1] : ONLY_0_1_0;
  for (const name of drop) delete all[name];
  return all;
}
