// Process-wide shared queues keyed by (vm_id, name) (reference §7.10). Ids come from one process
// counter (0 never used). The last registrant is the single notification target.

export interface QueueTarget {
  /** Called once per enqueue, asynchronously, to deliver proxy_on_queue_ready. */
  notify(queueId: number): void;
}

interface Queue {
  id: number;
  vmId: string;
  name: string;
  items: Uint8Array[];
  target: QueueTarget | undefined;
}

export class SharedQueues {
  private readonly byName = new Map<string, Queue>();
  private readonly byId = new Map<number, Queue>();
  private lastId = 0;

  /** Creates or reopens (vmId, name) and makes `target` its notification target. */
  register(vmId: string, name: string, target: QueueTarget): number {
    const k = `${vmId}\0${name}`;
    let q = this.byName.get(k);
    if (!q) {
      this.lastId = this.lastId >= 0xffffffff ? 1 : this.lastId + 1;
      q = { id: this.lastId, vmId, name, items: [], target };
      this.byName.set(k, q);
      this.byId.set(q.id, q);
    }
    q.target = target;
    return q.id;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.byName.get(`${vmId}\0${name}`)?.id;
  }

  /** False for an unknown id. */
  enqueue(id: number, item: Uint8Array): boolean {
    const q = this.byId.get(id);
    if (!q) return false;
    q.items.push(item);
    const t = q.target;
    if (t) setImmediate(() => t.notify(id));
    return true;
  }

  /** undefined = unknown id; null = empty. */
  dequeue(id: number): Uint8Array | null | undefined {
    const q = this.byId.get(id);
    if (!q) return undefined;
    return q.items.shift() ?? null;
  }
}

export const sharedQueues = new SharedQueues();
