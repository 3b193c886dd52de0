// Values by u32 id for tables that change once per request (stream contexts, callouts): a plain
// object used as a number dictionary rather than a Map. Why not a Map: V8 rehashes a Map's table as
// deleted entries pile up, and each obsolete table keeps a link to its successor (for live
// iterators) plus the entries it held. Under per-request churn those dead tables chain up in old
// space and keep every in-flight request (its context, host, exchange, buffers) alive through
// young-generation GCs: measured on the bench with one plugin, a quarter of all allocation survived
// each scavenge, scavenges took ~20 ms instead of ~1 ms, and RSS under load rose by ~120 MB.

export class IdTable<T> {
  private entries: Record<number, T> = Object.create(null);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: number): T | undefined {
    return this.entries[id];
  }

  has(id: number): boolean {
    return this.entries[id] !== undefined;
  }

  set(id: number, value: T): void {
    if (this.entries[id] === undefined) this.count++;
    this.entries[id] = value;
  }

  delete(id: number): boolean {
    if (this.entries[id] === undefined) return false;
    delete this.entries[id];
    // Start small again when empty (a dictionary does not shrink on its own).
    if (--this.count === 0) this.entries = Object.create(null);
    return true;
  }

  clear(): void {
    this.entries = Object.create(null);
    this.count = 0;
  }

  /** Values by ascending id. */
  *values(): IterableIterator<T> {
    for (const id in this.entries) yield this.entries[id];
  }
}
