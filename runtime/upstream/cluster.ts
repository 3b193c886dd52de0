// A named group of endpoints speaking one protocol, with the endpoint choice behind a Balancer.
import type { ClusterConfig } from '../config/types.ts';
import type { Balancer } from './balancer.ts';
import { RoundRobinBalancer } from './balancer.ts';
import { H1Endpoint } from './h1-endpoint.ts';
import { H2Endpoint } from './h2-endpoint.ts';
import type { Endpoint, UpstreamHandler, UpstreamRequest } from './types.ts';

export function splitHostPort(address: string): { host: string; port: number } {
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    return { host: address.slice(1, end), port: Number(address.slice(end + 2)) };
  }
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

export class Cluster {
  readonly name: string;
  readonly config: ClusterConfig;
  /** Present for http1 and auto. */
  private readonly h1: Balancer<Endpoint> | undefined;
  /** Present for http2 and auto. */
  private readonly h2: Balancer<Endpoint> | undefined;
  private readonly endpoints: Endpoint[] = [];
  private readonly addresses: Balancer<{ host: string; port: number; address: string }>;
  /** Requests dispatched and not yet finished; close() waits for them. */
  inflight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(config: ClusterConfig) {
    this.name = config.name;
    this.config = config;
    const targets = config.endpoints.map((a) => ({ ...splitHostPort(a), address: a }));
    this.addresses = new RoundRobinBalancer(targets);
    if (config.protocol !== 'http2') {
      const eps = targets.map(
        (t) => new H1Endpoint(t.host, t.port, { connectTimeoutMs: config.connectTimeoutMs, maxConnections: config.maxConnectionsPerEndpoint }),
      );
      this.endpoints.push(...eps);
      this.h1 = new RoundRobinBalancer<Endpoint>(eps);
    }
    if (config.protocol !== 'http1') {
      const eps = targets.map((t) => new H2Endpoint(t.host, t.port, { connectTimeoutMs: config.connectTimeoutMs }));
      this.endpoints.push(...eps);
      this.h2 = new RoundRobinBalancer<Endpoint>(eps);
    }
  }

  /** Picks the endpoint for a request; `downstreamH2` decides for protocol `auto`. */
  pick(downstreamH2: boolean): Endpoint {
    if (this.h2 !== undefined && (this.h1 === undefined || downstreamH2)) return this.h2.pick();
    return (this.h1 as Balancer<Endpoint>).pick();
  }

  dispatch(endpoint: Endpoint, req: UpstreamRequest, handler: UpstreamHandler): void {
    endpoint.dispatch(req, handler);
  }

  /** Target for opaque TCP. */
  pickTcp(): { host: string; port: number; address: string } {
    return this.addresses.pick();
  }

  /** Same protocol and endpoints: a reload may keep this cluster (and its warm connections). */
  sameAs(other: ClusterConfig): boolean {
    const c = this.config;
    return (
      c.protocol === other.protocol &&
      c.connectTimeoutMs === other.connectTimeoutMs &&
      c.maxConnectionsPerEndpoint === other.maxConnectionsPerEndpoint &&
      c.endpoints.length === other.endpoints.length &&
      c.endpoints.every((e, i) => e === other.endpoints[i])
    );
  }

  requestDone(): void {
    this.inflight--;
    if (this.inflight === 0 && this.idleWaiters.length > 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  /** Waits for in-flight requests, then closes pools gracefully. */
  async close(): Promise<void> {
    if (this.inflight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await Promise.all(this.endpoints.map((e) => e.close().catch(() => {})));
  }

  destroy(): void {
    for (const e of this.endpoints) e.destroy();
  }
}
