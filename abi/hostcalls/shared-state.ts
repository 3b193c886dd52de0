// Shared data (with CAS) and shared queues (reference §3.4, §7.9, §7.10). Both are process-wide and
// keyed by the plugin's vm_id, so VMs with the same vm_id share them even with different code.

import type { WasmVm } from '../vm/vm.ts';
import { WasmResult } from '../types.ts';
import { rootOf, type RootContext } from '../context/context.ts';
import { sharedData } from '../shared/shared-data.ts';
import { sharedQueues, type QueueTarget } from '../shared/shared-queue.ts';

/** The queue notification target of one root context, made on its first registration. */
function queueTarget(vm: WasmVm, root: RootContext): QueueTarget {
  return (root.queueTarget ??= {
    notify(queueId) {
      const fn = vm.exports.proxy_on_queue_ready;
      if (!fn || vm.failed || root.deleted) return;
      vm.runLater(() => vm.invoke(root, 'proxy_on_queue_ready', fn, root.id, queueId));
    },
  });
}

export function sharedStateImports(vm: WasmVm) {
  const vmId = () => vm.anyRoot()?.plugin.vmId ?? '';

  return {
    proxy_get_shared_data(kPtr: number, kLen: number, ptrPtr: number, sizePtr: number, casPtr: number): number {
      const key = vm.mem.string(kPtr >>> 0, kLen >>> 0);
      if (key === null) return WasmResult.InvalidMemoryAccess;
      const v = sharedData.get(vmId(), key);
      if (!v) return WasmResult.NotFound;
      if (!vm.mem.ok(casPtr >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
      const r = vm.mem.output(ptrPtr >>> 0, sizePtr >>> 0, v.value);
      if (r !== WasmResult.Ok) return r;
      vm.mem.setU32(casPtr >>> 0, v.cas);
      return WasmResult.Ok;
    },

    proxy_set_shared_data(kPtr: number, kLen: number, vPtr: number, vLen: number, cas: number): number {
      const key = vm.mem.string(kPtr >>> 0, kLen >>> 0);
      const value = vm.mem.copy(vPtr >>> 0, vLen >>> 0);
      if (key === null || value === null) return WasmResult.InvalidMemoryAccess;
      return sharedData.set(vmId(), key, value, cas >>> 0) ? WasmResult.Ok : WasmResult.CasMismatch;
    },

    proxy_register_shared_queue(nPtr: number, nLen: number, idPtr: number): number {
      const name = vm.mem.string(nPtr >>> 0, nLen >>> 0);
      if (name === null || !vm.mem.ok(idPtr >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
      const root = rootOf(vm.effective);
      if (!root) return WasmResult.BadArgument;
      const id = sharedQueues.register(root.plugin.vmId, name, queueTarget(vm, root));
      vm.mem.setU32(idPtr >>> 0, id);
      return WasmResult.Ok;
    },

    proxy_resolve_shared_queue(vPtr: number, vLen: number, nPtr: number, nLen: number, idPtr: number): number {
      const vid = vm.mem.string(vPtr >>> 0, vLen >>> 0);
      const name = vm.mem.string(nPtr >>> 0, nLen >>> 0);
      if (vid === null || name === null || !vm.mem.ok(idPtr >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
      const id = sharedQueues.resolve(vid === '' ? vmId() : vid, name);
      if (id === undefined) return WasmResult.NotFound;
      vm.mem.setU32(idPtr >>> 0, id);
      return WasmResult.Ok;
    },

    proxy_enqueue_shared_queue(id: number, vPtr: number, vLen: number): number {
      const value = vm.mem.copy(vPtr >>> 0, vLen >>> 0);
      if (value === null) return WasmResult.InvalidMemoryAccess;
      return sharedQueues.enqueue(id >>> 0, value) ? WasmResult.Ok : WasmResult.NotFound;
    },

    proxy_dequeue_shared_queue(id: number, ptrPtr: number, sizePtr: number): number {
      const item = sharedQueues.dequeue(id >>> 0);
      if (item === undefined) return WasmResult.NotFound;
      if (item === null) return WasmResult.Empty;
      return vm.mem.output(ptrPtr >>> 0, sizePtr >>> 0, item);
    },
  };
}
