// The live contexts of one VM by id: an array indexed by the id's low bits. Ids come from a counter
// (as in proxy-wasm-cpp-host) that skips ids whose slot is taken, so a lookup is one array read and
// the table only grows when it is half full. Stream contexts come and go once per request; a Map
// here made V8 keep dead requests alive (see id-table.ts), and a dictionary object costs a hash
// insert and delete per request.

import type { Context, RootContext } from './context.ts';

const INITIAL_SLOTS = 64;

export class ContextTable {
  private slots: Array<Context | undefined> = new Array<Context | undefined>(INITIAL_SLOTS).fill(undefined);
  private mask = INITIAL_SLOTS - 1;
  private count = 0;
  private readonly rootList: RootContext[] = [];

  get size(): number {
    return this.count;
  }

  get(id: number): Context | undefined {
    const c = this.slots[id & this.mask];
    return c !== undefined && c.id === id ? c : undefined;
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** An id can be given out when its slot is free (then it is not in use either). */
  canTake(id: number): boolean {
    return this.slots[id & this.mask] === undefined;
  }

  /** Adds a context whose id passed `canTake` (or any id: the table grows until its slot is free). */
  add(ctx: Context): void {
    if (this.count * 2 >= this.slots.length) this.grow();
    while (this.slots[ctx.id & this.mask] !== undefined) this.grow();
    this.slots[ctx.id & this.mask] = ctx;
    this.count++;
    if (ctx.kind === 'root') this.rootList.push(ctx);
  }

  remove(ctx: Context): void {
    const i = ctx.id & this.mask;
    if (this.slots[i] !== ctx) return;
    this.slots[i] = undefined;
    this.count--;
    if (ctx.kind === 'root') this.rootList.splice(this.rootList.indexOf(ctx), 1);
  }

  /** Doubles the table. Contexts in distinct slots stay in distinct slots under a wider mask. */
  private grow(): void {
    const old = this.slots;
    this.slots = new Array<Context | undefined>(old.length * 2).fill(undefined);
    this.mask = this.slots.length - 1;
    for (const c of old) if (c !== undefined) this.slots[c.id & this.mask] = c;
  }

  /** The root contexts, oldest first. */
  roots(): readonly RootContext[] {
    return this.rootList;
  }

  /** Every context: roots first (oldest first), then streams in slot order. */
  *values(): IterableIterator<Context> {
    yield* this.rootList;
    for (const c of this.slots) if (c !== undefined && c.kind !== 'root') yield c;
  }
}
