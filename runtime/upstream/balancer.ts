// Endpoint choice behind a small interface so a latency-aware balancer (EWMA) can replace round robin.

export interface Balancer<E> {
  pick(): E;
}

export class RoundRobinBalancer<E> implements Balancer<E> {
  private readonly items: readonly E[];
  private next = 0;

  constructor(items: readonly E[]) {
    if (items.length === 0) throw new Error('RoundRobinBalancer needs at least one endpoint');
    this.items = items;
  }

  pick(): E {
    const items = this.items;
    if (items.length === 1) return items[0];
    const e = items[this.next];
    this.next = (this.next + 1) % items.length;
    return e;
  }
}
