// The data plane: listeners → protocol detection → HTTP servers → router → filter chain → upstream clusters.
// `Proxy` owns listeners and clusters and swaps them on reload; everything per request lives in
// runtime/http/exchange.ts.
import type { Logger } from 'pino';
import type { Config, ListenerConfig } from './config/types.ts';
import type { FilterFactory } from './filter/types.ts';
import type { ListenerRuntime, Snapshot } from './listener/context.ts';
import { Listener } from './listener/listener.ts';
import type { ProxyMetrics } from './metrics/types.ts';
import { Router } from './router/router.ts';
import { Cluster } from './upstream/cluster.ts';

export interface ProxyDeps {
  log: Logger;
  metrics: ProxyMetrics;
  /** Creates filters for route `plugins` and listener `tcpPlugins`. Without it, plugin lists are ignored. */
  filters?: FilterFactory;
}

export class Proxy {
  private config: Config;
  private readonly deps: ProxyDeps;
  private clusters = new Map<string, Cluster>();
  private listeners = new Map<string, Listener>();
  private started = false;
  private stopping = false;

  constructor(config: Config, deps: ProxyDeps) {
    this.config = config;
    this.deps = deps;
  }

  /** Binds every listener; resolves when all are ready (each logs `listener ready`). */
  async start(): Promise<void> {
    if (this.started) throw new Error('Proxy already started');
    this.started = true;
    this.clusters = buildClusters(this.config, new Map());
    const listeners = this.config.listeners.map((lc) => this.newListener(lc, this.config, this.clusters));
    try {
      await Promise.all(listeners.map((l) => l.listen()));
    } catch (err) {
      for (const l of listeners) l.destroy();
      for (const c of this.clusters.values()) c.destroy();
      throw err;
    }
    for (const l of listeners) this.listeners.set(l.name, l);
  }

  /** Bound address of each listener by name. */
  addresses(): Map<string, { host: string; port: number }> {
    const out = new Map<string, { host: string; port: number }>();
    for (const [name, l] of this.listeners) {
      const a = l.address();
      if (a !== undefined) out.set(name, a);
    }
    return out;
  }

  /**
   * Applies a new config: new requests use the new routes and clusters at once; in-flight requests finish on
   * their old snapshot; established connections stay open; added listeners open, removed ones drain and close;
   * removed or changed clusters close after their in-flight requests. Nothing changes if a new listener
   * cannot bind (the error is thrown).
   */
  async reload(config: Config): Promise<void> {
    if (this.stopping) throw new Error('Proxy is shutting down');
    const oldClusters = this.clusters;
    const clusters = buildClusters(config, oldClusters);
    const keep = new Map<string, Listener>();
    const added: Listener[] = [];
    const snapshots = new Map<string, Snapshot>();
    try {
      for (const lc of config.listeners) {
        const existing = this.listeners.get(lc.name);
        if (existing !== undefined && existing.config.address === lc.address) {
          existing.prepare(lc);
          snapshots.set(lc.name, makeSnapshot(lc, config, clusters));
          keep.set(lc.name, existing);
        } else {
          added.push(this.newListener(lc, config, clusters));
        }
      }
      await Promise.all(added.map((l) => l.listen()));
    } catch (err) {
      for (const l of added) l.destroy();
      for (const [name, c] of clusters) if (oldClusters.get(name) !== c) c.destroy();
      throw err;
    }
    // Swap: from here new requests see the new config.
    for (const [name, l] of keep) {
      const lc = config.listeners.find((x) => x.name === name) as ListenerConfig;
      l.update(lc, snapshots.get(name) as Snapshot);
    }
    const removed = [...this.listeners.values()].filter((l) => !keep.has(l.name));
    const next = new Map<string, Listener>();
    for (const lc of config.listeners) next.set(lc.name, keep.get(lc.name) ?? (added.find((l) => l.name === lc.name) as Listener));
    this.listeners = next;
    this.clusters = clusters;
    this.config = config;
    const grace = config.shutdownGracePeriodMs;
    for (const l of removed) {
      l.shutdown(grace).catch((err) => this.deps.log.warn({ err, listener: l.name }, 'closing removed listener failed'));
    }
    for (const [name, c] of oldClusters) {
      if (clusters.get(name) !== c) {
        c.close().catch((err) => this.deps.log.warn({ err, cluster: name }, 'closing removed cluster failed'));
      }
    }
  }

  /**
   * Graceful stop: stop accepting, close idle keep-alive connections, ask busy ones to close (HTTP/1
   * `connection: close`, HTTP/2 GOAWAY), wait up to `graceMs` for in-flight work, then destroy what is left.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.listeners.values()].map((l) => l.shutdown(graceMs)));
    for (const c of this.clusters.values()) c.destroy();
    this.listeners.clear();
  }

  private newListener(lc: ListenerConfig, config: Config, clusters: Map<string, Cluster>): Listener {
    const runtime: ListenerRuntime = {
      name: lc.name,
      snapshot: makeSnapshot(lc, config, clusters),
      log: this.deps.log,
      metrics: this.deps.metrics,
      filters: this.deps.filters,
      draining: false,
    };
    return new Listener(runtime, lc);
  }
}

/** Builds the cluster map, reusing unchanged clusters (and their warm connection pools) from `previous`. */
function buildClusters(config: Config, previous: Map<string, Cluster>): Map<string, Cluster> {
  const out = new Map<string, Cluster>();
  for (const cc of config.clusters) {
    const old = previous.get(cc.name);
    out.set(cc.name, old !== undefined && old.sameAs(cc) ? old : new Cluster(cc));
  }
  return out;
}

function makeSnapshot(lc: ListenerConfig, config: Config, clusters: Map<string, Cluster>): Snapshot {
  return {
    listener: lc,
    router: new Router(lc.routes),
    clusters,
    accessLog: config.log.accessLog,
    tcpCluster: lc.defaultCluster,
  };
}
