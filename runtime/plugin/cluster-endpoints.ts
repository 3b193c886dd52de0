// Where a plugin's callouts go: the named cluster of the current config, endpoints in round robin.
// Callouts use their own small connection pools (undici for HTTP/1, node:http2 sessions for HTTP/2
// and gRPC), kept per endpoint and closed with the plugin runtime.

import { connect, type ClientHttp2Session } from 'node:http2';
import { Pool } from 'undici';
import type { ClusterConfig, Config } from '../config/types.ts';

export class CalloutEndpoints {
  private clusters: Map<string, ClusterConfig>;
  private readonly next = new Map<string, number>();
  private readonly pools = new Map<string, Pool>();
  private readonly sessions = new Map<string, ClientHttp2Session>();

  constructor(config: Config) {
    this.clusters = new Map(config.clusters.map((c) => [c.name, c]));
  }

  update(config: Config): void {
    this.clusters = new Map(config.clusters.map((c) => [c.name, c]));
    // Connections to endpoints no cluster names any more are closed (gracefully).
    const live = new Set(config.clusters.flatMap((c) => c.endpoints));
    for (const [ep, pool] of this.pools) {
      if (live.has(ep)) continue;
      this.pools.delete(ep);
      pool.close().catch(() => {});
    }
    for (const [ep, session] of this.sessions) {
      if (live.has(ep)) continue;
      this.sessions.delete(ep);
      session.close();
    }
  }

  cluster(name: string): ClusterConfig | undefined {
    return this.clusters.get(name);
  }

  /** Next endpoint (host:port) of the cluster, round robin. */
  pick(cluster: ClusterConfig): string | undefined {
    const n = cluster.endpoints.length;
    if (n === 0) return undefined;
    const i = (this.next.get(cluster.name) ?? 0) % n;
    this.next.set(cluster.name, i + 1);
    return cluster.endpoints[i];
  }

  pool(endpoint: string, connectTimeoutMs: number): Pool {
    let p = this.pools.get(endpoint);
    if (!p) {
      p = new Pool(`http://${endpoint}`, { connections: 16, connectTimeout: connectTimeoutMs || undefined });
      this.pools.set(endpoint, p);
    }
    return p;
  }

  /** An HTTP/2 (h2c prior knowledge) session to the endpoint, re-opened when closed. */
  session(endpoint: string): ClientHttp2Session {
    let s = this.sessions.get(endpoint);
    if (!s || s.closed || s.destroyed) {
      s = connect(`http://${endpoint}`);
      const created = s;
      created.on('error', () => {});
      created.on('close', () => {
        if (this.sessions.get(endpoint) === created) this.sessions.delete(endpoint);
      });
      created.unref();
      this.sessions.set(endpoint, created);
    }
    return s;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => {})));
  }
}
