// Opaque TCP: a bidirectional pipe from the downstream socket to one endpoint of the listener's TCP cluster.
// Half-close travels through (FIN one way keeps the other way open); an error on either side closes both.
// With listener.tcpPlugins, bytes go through TcpFilters (./filtered.ts) instead of plain pipes.
import * as net from 'node:net';
import type { ListenerRuntime } from '../listener/context.ts';
import type { Cluster } from '../upstream/cluster.ts';
import { FilteredTcp } from './filtered.ts';

export function forwardTcp(rt: ListenerRuntime, socket: net.Socket): void {
  const snap = rt.snapshot;
  const name = snap.tcpCluster;
  const cluster = name === undefined ? undefined : snap.clusters.get(name);
  if (cluster === undefined) {
    rt.log.debug({ listener: rt.name }, 'opaque TCP connection without a cluster, closing');
    socket.destroy();
    return;
  }
  const plugins = snap.listener.tcpPlugins;
  if (plugins.length > 0 && rt.filters?.createTcp !== undefined) {
    new FilteredTcp(rt, socket, cluster, plugins).start();
    return;
  }
  const upstream = dialUpstream(cluster);
  upstream.once('connect', () => {
    upstream.setTimeout(0);
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.resume();
  });
  const closeBoth = () => {
    socket.destroy();
    upstream.destroy();
  };
  upstream.on('error', closeBoth);
  socket.on('error', closeBoth);
  upstream.on('close', () => {
    // Upstream gone with data possibly in flight: if it did not end cleanly, drop the client too.
    if (!upstream.readableEnded) socket.destroy();
  });
  socket.on('close', () => {
    if (!socket.readableEnded) upstream.destroy();
  });
}

export function dialUpstream(cluster: Cluster): net.Socket {
  const target = cluster.pickTcp();
  const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
  upstream.setNoDelay(true);
  upstream.setTimeout(cluster.config.connectTimeoutMs, () => upstream.destroy(new Error('connect timeout')));
  return upstream;
}
