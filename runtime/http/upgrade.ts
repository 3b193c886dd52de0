// Upgrade / WebSocket passthrough: forward the request head to an endpoint over a raw TCP connection and then
// tunnel bytes both ways. Remora does not interpret the upgraded protocol.
import type { IncomingMessage } from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ListenerRuntime } from '../listener/context.ts';
import type { RequestLabels } from '../metrics/types.ts';
import { pickCluster } from '../router/router.ts';
import { buildRequestHead } from './headers.ts';

export function tunnelUpgrade(rt: ListenerRuntime, req: IncomingMessage, socket: Duplex, first: Buffer, scheme: string): void {
  const snap = rt.snapshot;
  const start = performance.now();
  const head = buildRequestHead(req.method ?? 'GET', req.url ?? '/', req.rawHeaders, req.socket.remoteAddress ?? '', scheme, false, true);
  const route = snap.router.match(head.method, head.path, head.authority, head.headers);
  const labels: RequestLabels = { listener: rt.name, route: route?.name ?? '', cluster: '' };
  rt.metrics.requestStart(labels);
  let ended = false;
  const end = (status: number, proxyError?: string) => {
    if (ended) return;
    ended = true;
    const durationMs = performance.now() - start;
    rt.metrics.requestEnd(labels, status, durationMs, proxyError);
    if (snap.accessLog) {
      rt.log.info(
        { listener: rt.name, route: labels.route, cluster: labels.cluster, method: head.method, path: head.path, status, durationMs, bytesIn: 0, bytesOut: 0, requestId: head.requestId, upgrade: true, proxyError },
        'access',
      );
    }
  };
  const refuse = (status: number, reason: string) => {
    end(status, reason);
    if (socket.writable) {
      socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Service Unavailable'}\r\nremora-proxy-error: ${reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    } else socket.destroy();
  };
  socket.on('error', () => socket.destroy());
  if (route === undefined) return refuse(404, 'no route');
  const name = pickCluster(route);
  labels.cluster = name;
  const cluster = snap.clusters.get(name);
  if (cluster === undefined) return refuse(503, 'unknown cluster');
  const target = cluster.pickTcp();
  const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
  upstream.setTimeout(cluster.config.connectTimeoutMs, () => upstream.destroy(new Error('connect timeout')));
  let lines = `${head.method} ${head.path} HTTP/1.1\r\n`;
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) lines += `${h[i]}: ${h[i + 1]}\r\n`;
  lines += '\r\n';
  upstream.once('connect', () => {
    upstream.setTimeout(0);
    upstream.setNoDelay(true);
    upstream.write(lines);
    if (first.length > 0) upstream.write(first);
    upstream.once('data', (chunk: Buffer) => {
      // Status of the upstream's answer, for metrics only.
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, 16));
      end(m ? Number(m[1]) : 502);
    });
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => {
    if (!upstream.connecting && upstream.bytesRead > 0) {
      socket.destroy();
      return;
    }
    if (upstream.bytesRead === 0 && !ended) refuse(503, 'upstream connect failed');
    else socket.destroy();
  });
  upstream.on('close', () => {
    if (!ended) end(502, 'upstream reset');
    if (!socket.destroyed && upstream.bytesRead === 0) socket.destroy();
  });
  socket.on('close', () => upstream.destroy());
}
