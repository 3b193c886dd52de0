// Process-wide shared key-value store, partitioned by vm_id (reference §7.9). CAS: one global
// counter from 1, bumped on every successful write, never 0; cas 0 on set = unconditional, and a
// CAS is only checked for keys that already exist.

export interface SharedValue {
  value: Uint8Array;
  cas: number;
}

export class SharedData {
  private readonly byVm = new Map<string, Map<string, SharedValue>>();
  private lastCas = 0;

  get(vmId: string, key: string): SharedValue | undefined {
    return this.byVm.get(vmId)?.get(key);
  }

  /** Returns false on CAS mismatch. */
  set(vmId: string, key: string, value: Uint8Array, cas: number): boolean {
    let m = this.byVm.get(vmId);
    if (!m) this.byVm.set(vmId, (m = new Map()));
    const cur = m.get(key);
    if (cas !== 0 && cur && cur.cas !== cas) return false;
    this.lastCas = this.lastCas >= 0xffffffff ? 1 : this.lastCas + 1;
    m.set(key, { value, cas: this.lastCas });
    return true;
  }

  private readonly users = new Map<string, number>();

  /** A plugin with this vm_id started. */
  retain(vmId: string): void {
    this.users.set(vmId, (this.users.get(vmId) ?? 0) + 1);
  }

  /** A plugin with this vm_id stopped; the last one takes the vm_id's data with it (Envoy). */
  release(vmId: string): void {
    const n = (this.users.get(vmId) ?? 1) - 1;
    if (n > 0) {
      this.users.set(vmId, n);
      return;
    }
    this.users.delete(vmId);
    this.byVm.delete(vmId);
  }
}

/** The store every VM of this process uses. */
export const sharedData = new SharedData();
