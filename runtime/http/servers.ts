// The HTTP servers a listener feeds detected connections into: node:http for HTTP/1.1, node:http2 for h2c,
// and one TLS server (HTTP/2 with HTTP/1.1 fallback via ALPN) when the listener terminates TLS.
// None of them listens on a port: the listener hands them sockets with `emit('connection')`.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { ListenerConfig } from '../config/types.ts';
import type { ConnectionFacts, ListenerRuntime } from '../listener/context.ts';
import { connectionFacts, factsOf, kConnectionFacts } from '../listener/context.ts';
import type { DownstreamRequest, DownstreamResponse } from './exchange.ts';
import { HttpExchange } from './exchange.ts';
import { routeUpgrade, tunnelUpgrade } from './upgrade.ts';

export interface HttpServers {
  readonly h1: http.Server;
  readonly h2: http2.Http2Server;
  readonly tls: http2.Http2SecureServer | undefined;
  /** Open HTTP/2 sessions (for GOAWAY on shutdown). */
  readonly sessions: Set<http2.ServerHttp2Session>;
  /** HTTP/1.1-over-TLS sockets (for closing idle keep-alive connections on shutdown). */
  readonly tlsH1Sockets: Set<TLSSocket>;
}

export function createHttpServers(rt: ListenerRuntime, lc: ListenerConfig): HttpServers {
  const sessions = new Set<http2.ServerHttp2Session>();
  const tlsH1Sockets = new Set<TLSSocket>();
  const h1 = http.createServer({
    maxHeaderSize: lc.maxHeaderBytes,
    keepAliveTimeout: lc.idleTimeoutMs,
    // Streaming uploads may take long; the route timeout and idle timeout bound what matters.
    requestTimeout: 0,
    // Set on its own: node derives it from requestTimeout (min(60s, requestTimeout)), which would make it 0.
    headersTimeout: lc.headersTimeoutMs,
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, lc.headersTimeoutMs / 4)),
    insecureHTTPParser: false,
    joinDuplicateHeaders: false,
  });
  // Socket inactivity during a request or response: node destroys the socket, and the exchange then
  // cancels its upstream request (between requests, keepAliveTimeout applies instead).
  h1.timeout = lc.streamIdleTimeoutMs;
  h1.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    new HttpExchange(rt, req, res, false, 'http').start();
  });
  h1.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => startUpgrade(rt, req, socket, head, 'http'));
  h1.on('connect', (req: http.IncomingMessage, socket: Duplex) => refuseConnect(rt, req, socket));
  h1.on('clientError', (err: Error & { code?: string }, socket: Duplex) => rejectMalformed(rt, err, socket));
  // This server never listens itself (sockets arrive by emit('connection')), but node starts its connection
  // tracking on 'listening': it enforces headersTimeout (slow-loris heads get 408) and makes
  // closeIdleConnections() work on shutdown.
  h1.emit('listening');

  // nghttp2 does not answer an over-limit header list with a status (the stream just stalls or resets), so
  // the session accepts up to 4x the limit and Remora checks the exact limit itself, answering 431.
  const h2Options: http2.ServerOptions = {
    settings: { maxHeaderListSize: Math.max(lc.maxHeaderBytes * 4, 65_536), enablePush: false },
    maxSessionMemory: 64,
  };
  const h2 = http2.createServer(h2Options);
  wireH2(rt, h2, sessions, 'http', lc);

  let tls: http2.Http2SecureServer | undefined;
  if (lc.tls !== undefined) {
    tls = http2.createSecureServer({
      ...h2Options,
      key: readFileSync(lc.tls.keyFile),
      cert: readFileSync(lc.tls.certFile),
      allowHTTP1: true,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    wireH2(rt, tls, sessions, 'https', lc);
    tls.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => startUpgrade(rt, req, socket, head, 'https'));
    tls.on('connect', (req: http.IncomingMessage, socket: Duplex) => refuseConnect(rt, req, socket));
    // Prepended: the facts must exist before the HTTP/2 session (created by the server's own listener) reads them.
    tls.prependListener('secureConnection', (socket: TLSSocket) => {
      const facts = connectionFacts(socket, true);
      facts.tlsVersion = socket.getProtocol() ?? undefined;
      facts.serverName = (socket as TLSSocket & { servername?: string | false }).servername || undefined;
      (socket as unknown as { [kConnectionFacts]: ConnectionFacts })[kConnectionFacts] = facts;
      if (socket.alpnProtocol !== 'h2') {
        tlsH1Sockets.add(socket);
        socket.once('close', () => tlsH1Sockets.delete(socket));
      }
    });
    tls.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      rt.log.debug({ err: err.message, listener: rt.name }, 'TLS handshake failed');
      socket.destroy();
    });
  }
  return { h1, h2, tls, sessions, tlsH1Sockets };
}

function wireH2(
  rt: ListenerRuntime,
  server: http2.Http2Server | http2.Http2SecureServer,
  sessions: Set<http2.ServerHttp2Session>,
  scheme: string,
  lc: ListenerConfig,
): void {
  const maxHeaderBytes = lc.maxHeaderBytes;
  server.on('request', (req: DownstreamRequest, res: DownstreamResponse) => {
    const h2 = (req as http2.Http2ServerRequest).stream !== undefined;
    if (h2 && headerListSize(req.rawHeaders) > maxHeaderBytes) {
      const r = res as http2.Http2ServerResponse;
      r.writeHead(431, { 'remora-proxy-error': 'request headers too large', 'content-length': '0' });
      r.end();
      return;
    }
    if (!h2 && rt.draining) (res as http.ServerResponse).shouldKeepAlive = false;
    new HttpExchange(rt, req, res, h2, scheme).start();
  });
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    const socket = session.socket;
    const facts = factsOf(socket) ?? connectionFacts(socket, scheme === 'https');
    (session as unknown as { [kConnectionFacts]: ConnectionFacts })[kConnectionFacts] = facts;
    session.on('close', () => sessions.delete(session));
    // Idle keep-alive for HTTP/2: a session without open streams for idleTimeoutMs gets GOAWAY.
    let open = 0;
    session.on('stream', (stream: http2.ServerHttp2Stream) => {
      open++;
      stream.once('close', () => open--);
    });
    if (lc.idleTimeoutMs > 0) {
      session.setTimeout(lc.idleTimeoutMs, () => {
        if (open === 0) session.close();
      });
    }
    session.on('error', (err) => rt.log.debug({ err: err.message, listener: rt.name }, 'http2 session error'));
    if (rt.draining) session.close();
  });
  server.on('sessionError', (err: Error) => rt.log.debug({ err: err.message, listener: rt.name }, 'http2 session error'));
  server.on('stream', (stream: http2.ServerHttp2Stream) => {
    stream.on('error', () => {});
  });
}

/**
 * `Upgrade: h2c` on a body-less request (curl --http2 on http:// URLs): Remora declines the upgrade
 * (allowed by RFC 9110 §7.8) and proxies the request as plain HTTP/1.1, instead of tunnelling the
 * connection past routing. node has already detached its parser, so the response closes the connection.
 */
function isH2cUpgrade(req: http.IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  if (upgrade === undefined || upgrade.trim().toLowerCase() !== 'h2c') return false;
  return req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
}

/**
 * An HTTP/1 Upgrade request. `h2c` is declined (below); on a route with plugins the request passes the
 * filter chain before the tunnel opens (so auth and rate limits apply to WebSockets too); other routes
 * tunnel at once.
 */
function startUpgrade(rt: ListenerRuntime, req: http.IncomingMessage, socket: Duplex, first: Buffer, scheme: string): void {
  if (scheme === 'http' && isH2cUpgrade(req)) {
    new HttpExchange(rt, req, responseOnSocket(req, socket), false, 'http').start();
    return;
  }
  if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) {
    // The tunnel holds client bytes until the upstream agrees to switch (see openTunnel), and an upstream
    // waits for a declared body before it answers; a chunked body would also lose its framing (a
    // hop-by-hop field). Handshakes (WebSocket: a GET) carry no body.
    refuseUpgradeWithBody(rt, req, socket);
    return;
  }
  const { head, route } = routeUpgrade(rt, req, scheme);
  if (route !== undefined && route.plugins.length > 0 && rt.filters !== undefined) {
    new HttpExchange(rt, req, responseOnSocket(req, socket), false, scheme, { socket, first }).start();
  } else {
    tunnelUpgrade(rt, head, route, socket, first);
  }
}

function refuseUpgradeWithBody(rt: ListenerRuntime, req: http.IncomingMessage, socket: Duplex): void {
  const labels = { listener: rt.name, route: '', cluster: '' };
  const reason = 'upgrade with a body not supported';
  rt.metrics.requestStart(labels);
  rt.metrics.requestEnd(labels, 400, 0, reason);
  responseOnSocket(req, socket).writeHead(400, { 'content-type': 'text/plain', 'remora-proxy-error': reason }).end(`${reason}\n`);
}

/**
 * HTTP/1 CONNECT: Remora does not tunnel CONNECT (no route can ask for it), so it answers 404 as Envoy does
 * without CONNECT routes, and closes the connection (node has handed the socket over).
 */
function refuseConnect(rt: ListenerRuntime, req: http.IncomingMessage, socket: Duplex): void {
  const labels = { listener: rt.name, route: '', cluster: '' };
  rt.metrics.requestStart(labels);
  rt.metrics.requestEnd(labels, 404, 0, 'CONNECT not supported');
  responseOnSocket(req, socket)
    .writeHead(404, { 'content-type': 'text/plain', 'remora-proxy-error': 'CONNECT not supported' })
    .end('CONNECT not supported\n');
}

/**
 * node has detached its parser from an upgrade or CONNECT request's socket: a response written on it (a
 * declined upgrade, a refused CONNECT, or a filter's local reply) closes the connection once sent.
 */
function responseOnSocket(req: http.IncomingMessage, socket: Duplex): http.ServerResponse {
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  socket.on('error', () => socket.destroy());
  return res;
}

/** HTTP/2 header list size as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 §6.5.2). */
function headerListSize(raw: string[]): number {
  let size = 0;
  for (let i = 0; i < raw.length; i += 2) size += raw[i].length + raw[i + 1].length + 32;
  return size;
}

/** Malformed HTTP/1 input: answer 400 (431 for an oversize head) and close; never reaches the router. */
function rejectMalformed(rt: ListenerRuntime, err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  let status = 400;
  let text = 'Bad Request';
  let reason = 'malformed request';
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    text = 'Request Header Fields Too Large';
    reason = 'request headers too large';
  } else if (err.code === 'HPE_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    text = 'Request Timeout';
    reason = 'request timeout';
  }
  rt.log.debug({ listener: rt.name, code: err.code }, 'rejected malformed request');
  const msg = (err as { _httpMessage?: http.ServerResponse })._httpMessage;
  if (msg?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\nremora-proxy-error: ${reason}\r\n\r\n`,
  );
  (socket as Duplex & { destroySoon?: () => void }).destroySoon?.();
}
