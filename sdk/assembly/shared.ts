// Shared key-value data (with compare-and-swap) and shared queues, scoped by the plugin's vmId.
import {
  proxy_get_shared_data, proxy_set_shared_data, proxy_register_shared_queue, proxy_resolve_shared_queue,
  proxy_enqueue_shared_queue, proxy_dequeue_shared_queue,
} from "./imports";
import { WasmResult } from "./enums";
import { OUT_PTR, OUT_SIZE, OUT_VALUE, resetOut, takeResult, utf8, fromUtf8, ptrOf } from "./memory";

/** A value read from shared data with the CAS to pass back when updating it. */
export class SharedValue {
  constructor(public readonly bytes: ArrayBuffer, public readonly cas: u32) {}
  text(): string {
    return fromUtf8(this.bytes);
  }
}

/**
 * Process-wide key-value store shared by every VM with the same vmId.
 * Read-modify-write: `get`, compute, `set(key, v, got.cas)`; on `WasmResult.CasMismatch` read again and retry.
 */
export class SharedData {
  /** The value and its CAS, or null when the key was never set. */
  static get(key: string): SharedValue | null {
    const k = utf8(key);
    resetOut();
    const status = proxy_get_shared_data(ptrOf(k), <usize>k.byteLength, OUT_PTR, OUT_SIZE, OUT_VALUE);
    if (status != WasmResult.Ok) return null;
    const cas = load<u32>(OUT_VALUE);
    return new SharedValue(takeResult(), cas);
  }

  /** Writes `value`; with `cas` != 0 only if the stored CAS still equals it (else CasMismatch). */
  static set(key: string, value: ArrayBuffer, cas: u32 = 0): WasmResult {
    const k = utf8(key);
    return <WasmResult>proxy_set_shared_data(ptrOf(k), <usize>k.byteLength, ptrOf(value), <usize>value.byteLength, cas);
  }

  static setText(key: string, value: string, cas: u32 = 0): WasmResult {
    return SharedData.set(key, utf8(value), cas);
  }
}

/** Shared queues: FIFO byte messages between VMs; the registering root gets onQueueReady. */
export class SharedQueue {
  /** Creates or reopens queue `name` of this vmId; this root context receives onQueueReady. 0 on failure. */
  static register(name: string): u32 {
    const n = utf8(name);
    store<u32>(OUT_VALUE, 0);
    const status = proxy_register_shared_queue(ptrOf(n), <usize>n.byteLength, OUT_VALUE);
    return status == WasmResult.Ok ? load<u32>(OUT_VALUE) : 0;
  }

  /** Finds an existing queue of `vmId` ("" = this plugin's vmId). 0 when absent. */
  static resolve(vmId: string, name: string): u32 {
    const v = utf8(vmId);
    const n = utf8(name);
    store<u32>(OUT_VALUE, 0);
    const status = proxy_resolve_shared_queue(ptrOf(v), <usize>v.byteLength, ptrOf(n), <usize>n.byteLength, OUT_VALUE);
    return status == WasmResult.Ok ? load<u32>(OUT_VALUE) : 0;
  }

  static enqueue(queueId: u32, value: ArrayBuffer): WasmResult {
    return <WasmResult>proxy_enqueue_shared_queue(queueId, ptrOf(value), <usize>value.byteLength);
  }

  static enqueueText(queueId: u32, value: string): WasmResult {
    return SharedQueue.enqueue(queueId, utf8(value));
  }

  /** The oldest item, or null when the queue is empty or unknown. */
  static dequeue(queueId: u32): ArrayBuffer | null {
    resetOut();
    const status = proxy_dequeue_shared_queue(queueId, OUT_PTR, OUT_SIZE);
    if (status != WasmResult.Ok) return null;
    return takeResult();
  }

  static dequeueText(queueId: u32): string | null {
    const item = SharedQueue.dequeue(queueId);
    return item === null ? null : fromUtf8(item);
  }
}
