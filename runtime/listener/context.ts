// What the per-connection and per-request code reads about its listener. The Snapshot is swapped as a whole
// on reload; each request takes the snapshot current at its start and keeps it to the end.
import type { Logger } from 'pino';
import type { ListenerConfig } from '../config/types.ts';
import type { FilterFactory } from '../filter/types.ts';
import type { ProxyMetrics } from '../metrics/types.ts';
import type { Router } from '../router/router.ts';
import type { Cluster } from '../upstream/cluster.ts';

export interface Snapshot {
  readonly listener: ListenerConfig;
  readonly router: Router;
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly accessLog: boolean;
  /** Cluster for opaque TCP (listener.defaultCluster); without one such connections are closed. */
  readonly tcpCluster: string | undefined;
}

export interface ListenerRuntime {
  readonly name: string;
  snapshot: Snapshot;
  readonly log: Logger;
  readonly metrics: ProxyMetrics;
  readonly filters: FilterFactory | undefined;
  /** Set by shutdown: responses ask HTTP/1 clients to close. */
  draining: boolean;
}

/** Facts about the downstream connection, attached to each accepted socket. */
export interface ConnectionFacts {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly tls: boolean;
  tlsVersion: string | undefined;
  serverName: string | undefined;
}

export const kConnectionFacts = Symbol('remora.connection');

let nextConnectionId = 1;

export function connectionFacts(socket: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number }, tls: boolean): ConnectionFacts {
  return {
    id: nextConnectionId++,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    localAddress: socket.localAddress ?? '',
    localPort: socket.localPort ?? 0,
    tls,
    tlsVersion: undefined,
    serverName: undefined,
  };
}

/** Facts of the socket a request came on (HTTP/1 socket or the HTTP/2 session's socket). */
export function factsOf(socket: object | null | undefined): ConnectionFacts | undefined {
  if (socket == null) return undefined;
  return (socket as { [kConnectionFacts]?: ConnectionFacts })[kConnectionFacts];
}
