// The live contexts of one VM by id. Roots are few and long-lived (a list); stream contexts come
// and go once per request (an IdTable, see there why not a Map).

import type { Context, RootContext, StreamContext } from './context.ts';
import { IdTable } from './id-table.ts';

export class ContextTable {
  private readonly rootList: RootContext[] = [];
  private readonly streams = new IdTable<StreamContext>();

  get size(): number {
    return this.rootList.length + this.streams.size;
  }

  get(id: number): Context | undefined {
    return this.streams.get(id) ?? this.rootList.find((r) => r.id === id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  add(ctx: Context): void {
    if (ctx.kind === 'root') this.rootList.push(ctx);
    else this.streams.set(ctx.id, ctx);
  }

  remove(ctx: Context): void {
    if (ctx.kind === 'root') {
      const i = this.rootList.indexOf(ctx);
      if (i >= 0) this.rootList.splice(i, 1);
    } else if (this.streams.get(ctx.id) === ctx) {
      this.streams.delete(ctx.id);
    }
  }

  /** The root contexts, oldest first. */
  roots(): readonly RootContext[] {
    return this.rootList;
  }

  /** Every context: roots first, then streams by id. */
  *values(): IterableIterator<Context> {
    yield* this.rootList;
    yield* this.streams.values();
  }
}
