// Upgrade / WebSocket passthrough: forward the request head to an endpoint over a raw TCP connection and then
// tunnel bytes both ways. Remora does not interpret the upgraded protocol.
// Routes without plugins tunnel straight from here. On routes with plugins the upgrade request first goes
// through the filter chain like any request (servers.ts hands it to an HttpExchange in upgrade mode), so an
// auth or rate-limit plugin can refuse it or change its headers; the exchange then opens the tunnel below.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ListenerRuntime } from '../listener/context.ts';
import type { RequestLabels } from '../metrics/types.ts';
import type { Route } from '../router/router.ts';
import { pickCluster } from '../router/router.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { RequestHead } from './headers.ts';
import { buildRequestHead } from './headers.ts';

/** The raw connection of an upgrade request and the bytes that followed its head. */
export interface UpgradeSocket {
  socket: Duplex;
  first: Buffer;
}

/** Told once how the upgrade ended: the upstream's status (or Remora's refusal) and the proxy error, if any. */
export type TunnelEnd = (status: number, proxyError?: string) => void;

/** An upgrade request's head as Remora forwards it (Upgrade/Connection kept) and the route it matches. */
export function routeUpgrade(rt: ListenerRuntime, req: IncomingMessage, scheme: string): { head: RequestHead; route: Route | undefined } {
  const head = buildRequestHead(req.method ?? 'GET', req.url ?? '/', req.rawHeaders, req.socket.remoteAddress ?? '', scheme, false, true);
  return { head, route: rt.snapshot.router.match(head.method, head.path, head.authority, head.headers) };
}

/** Upgrade on a route without plugins (`head` and `route` from routeUpgrade): count and tunnel. */
export function tunnelUpgrade(rt: ListenerRuntime, head: RequestHead, route: Route | undefined, socket: Duplex, first: Buffer): void {
  const snap = rt.snapshot;
  const start = performance.now();
  // Labels are final before requestStart, so the in-flight gauge goes up and down on the same series.
  const name = route === undefined ? '' : pickCluster(route);
  const labels: RequestLabels = { listener: rt.name, route: route?.name ?? '', cluster: name };
  rt.metrics.requestStart(labels);
  let ended = false;
  const end: TunnelEnd = (status, proxyError) => {
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
  socket.on('error', () => socket.destroy());
  if (head.refusal !== undefined) return refuseUpgrade(socket, head.refusal.status, head.refusal.reason, end);
  if (route === undefined) return refuseUpgrade(socket, 404, 'no route', end);
  const cluster = snap.clusters.get(name);
  if (cluster === undefined) return refuseUpgrade(socket, 503, 'unknown cluster', end);
  openTunnel(head, cluster, { socket, first }, route.timeoutMs, end);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, end: TunnelEnd): void {
  end(status, reason);
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nremora-proxy-error: ${reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  } else socket.destroy();
}

/** Longest status line awaited from the upstream before the answer is taken as "not upgraded". */
const MAX_STATUS_LINE = 1024;

/**
 * Sends `head` to an endpoint of `cluster` and, once it answers `101`, joins the two connections; `end`
 * hears the outcome once. Until then nothing the client sent after the head is forwarded: an upstream
 * that declines the upgrade (any other status) keeps speaking HTTP on that connection, so further client
 * bytes would reach it as requests that skipped routing and plugins. A declined upgrade's answer is
 * relayed and both connections close after it. An upstream that has not answered within `timeoutMs`
 * (the route timeout; 0: none) gets the client a 504.
 */
export function openTunnel(head: RequestHead, cluster: Cluster, down: UpgradeSocket, timeoutMs: number, end: TunnelEnd): void {
  const { socket, first } = down;
  let ended = false;
  const once: TunnelEnd = (status, proxyError) => {
    if (ended) return;
    ended = true;
    end(status, proxyError);
  };
  let answerTimer: NodeJS.Timeout | undefined;
  /** Remora answered the client itself: the upstream's close must not cut that answer short. */
  let refused = false;
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
    if (timeoutMs > 0) {
      answerTimer = setTimeout(() => {
        refused = true;
        refuseUpgrade(socket, 504, 'upstream timeout', once);
        upstream.destroy();
      }, timeoutMs);
    }
    let answer: Buffer = Buffer.alloc(0);
    const onAnswer = (chunk: Buffer) => {
      answer = answer.length === 0 ? chunk : Buffer.concat([answer, chunk]);
      if (answer.indexOf(0x0a) < 0 && answer.length < MAX_STATUS_LINE) return;
      clearTimeout(answerTimer);
      upstream.off('data', onAnswer);
      upstream.pause();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer.toString('latin1', 0, Math.min(answer.length, 16)));
      const status = m ? Number(m[1]) : 502;
      once(status);
      socket.write(answer);
      upstream.pipe(socket);
      if (status === 101) {
        if (first.length > 0) upstream.write(first);
        socket.pipe(upstream);
        return;
      }
      // Declined: no client byte goes upstream; ask the upstream to finish (it closes after its answer),
      // and end the client's connection with it.
      upstream.end();
      socket.resume();
    };
    upstream.on('data', onAnswer);
  });
  upstream.on('error', () => {
    if (refused) return;
    if (!upstream.connecting && upstream.bytesRead > 0) {
      socket.destroy();
      return;
    }
    if (upstream.bytesRead === 0 && !ended) refuseUpgrade(socket, 503, 'upstream connect failed', once);
    else socket.destroy();
  });
  upstream.on('close', () => {
    clearTimeout(answerTimer);
    if (!ended) once(502, 'upstream reset');
    if (!refused && !socket.destroyed && upstream.bytesRead === 0) socket.destroy();
  });
  socket.on('close', () => upstream.destroy());
}
