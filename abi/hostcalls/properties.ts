// proxy_get_property / proxy_set_property (reference §4.2-§4.4, §5). Built-ins of the plugin itself
// are answered here; stream attributes come from the StreamHost, root-level ones from the
// PluginHost; anything else falls back to what proxy_set_property stored on the stream.

import type { WasmVm } from '../vm/vm.ts';
import { WasmResult } from '../types.ts';
import { rootOf } from '../context/context.ts';
import { encodeProperty, type PropertyValue } from './property-encoding.ts';

/** Splits a NUL-separated path; a trailing NUL is tolerated. */
export function splitPath(b: Buffer, ptr: number, len: number): string[] {
  const parts = b.toString('utf8', ptr, ptr + len).split('\0');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function propertyImports(vm: WasmVm) {
  function lookup(path: string[]): PropertyValue | undefined {
    const eff = vm.effective;
    const root = rootOf(eff) ?? vm.anyRoot();
    if (path.length === 1 && root) {
      switch (path[0]) {
        case 'plugin_name':
          return root.plugin.name;
        case 'plugin_root_id':
          return root.plugin.rootId;
        case 'plugin_vm_id':
          return root.plugin.vmId;
      }
    }
    if (eff?.kind === 'stream') {
      const v = eff.host.property?.(path);
      if (v !== undefined) return v;
    }
    const v = root?.plugin.host.property?.(path);
    if (v !== undefined) return v;
    if (eff?.kind === 'stream' && eff.filterState) return eff.filterState.get(path.join('.'));
    return undefined;
  }

  return {
    proxy_get_property(pPtr: number, pLen: number, ptrPtr: number, sizePtr: number): number {
      pPtr >>>= 0;
      pLen >>>= 0;
      if (!vm.mem.ok(pPtr, pLen)) return WasmResult.InvalidMemoryAccess;
      const path = splitPath(vm.mem.bytes(), pPtr, pLen);
      let value: PropertyValue | undefined;
      try {
        value = lookup(path);
      } catch {
        return WasmResult.InternalFailure;
      }
      if (value === undefined) return WasmResult.NotFound;
      return vm.mem.output(ptrPtr >>> 0, sizePtr >>> 0, encodeProperty(value));
    },

    proxy_set_property(pPtr: number, pLen: number, vPtr: number, vLen: number): number {
      pPtr >>>= 0;
      pLen >>>= 0;
      if (!vm.mem.ok(pPtr, pLen)) return WasmResult.InvalidMemoryAccess;
      const value = vm.mem.copy(vPtr >>> 0, vLen >>> 0);
      if (value === null) return WasmResult.InvalidMemoryAccess;
      const eff = vm.effective;
      if (eff?.kind !== 'stream') return WasmResult.NotFound; // Envoy: filter state exists only on streams
      (eff.filterState ??= new Map()).set(splitPath(vm.mem.bytes(), pPtr, pLen).join('.'), value);
      return WasmResult.Ok;
    },
  };
}
