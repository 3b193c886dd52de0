// A listener: one net.Server per ListenerConfig. Each accepted connection is classified on its first bytes
// (./detect.ts) and handed to the HTTP/1 server, the h2c server, the TLS server, or the opaque TCP forwarder.
import * as net from 'node:net';
import type { ListenerConfig } from '../config/types.ts';
import type { HttpServers } from '../http/servers.ts';
import { createHttpServers } from '../http/servers.ts';
import { forwardTcp } from '../tcp/forward.ts';
import { splitHostPort } from '../upstream/cluster.ts';
import type { ConnectionFacts, ListenerRuntime, Snapshot } from './context.ts';
import { connectionFacts, kConnectionFacts } from './context.ts';
import type { Detected } from './detect.ts';
import { detect, detectOnStall } from './detect.ts';

export class Listener {
  readonly name: string;
  readonly runtime: ListenerRuntime;
  config: ListenerConfig;
  private readonly server: net.Server;
  private servers: HttpServers;
  /** Every server set still serving connections (a reload that changes TLS or limits adds one). */
  private readonly allServers: HttpServers[] = [];
  private readonly sockets = new Set<net.Socket>();
  /** Sockets still in protocol detection, and HTTP/1 sockets (for idle closing on shutdown). */
  private readonly detecting = new Set<net.Socket>();
  private readonly h1Sockets = new Set<net.Socket>();
  private bound: { host: string; port: number } | undefined;

  constructor(runtime: ListenerRuntime, config: ListenerConfig) {
    this.name = config.name;
    this.runtime = runtime;
    this.config = config;
    this.servers = createHttpServers(runtime, config);
    this.allServers.push(this.servers);
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => runtime.log.error({ err, listener: this.name }, 'listener error'));
  }

  listen(): Promise<{ host: string; port: number }> {
    const { host, port } = splitHostPort(this.config.address);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        const a = this.server.address() as net.AddressInfo;
        this.bound = { host: a.address, port: a.port };
        const shown = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
        this.runtime.log.info({ listener: this.name, address: shown }, 'listener ready');
        resolve(this.bound);
      });
    });
  }

  address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  /**
   * Reload, step 1 (may throw, changes nothing visible): builds new HTTP servers when connection-level
   * settings (TLS files, header limit, idle timeout) changed, so a bad certificate fails the reload early.
   */
  prepare(config: ListenerConfig): void {
    const old = this.config;
    this.pending = undefined;
    if (
      old.maxHeaderBytes !== config.maxHeaderBytes ||
      old.idleTimeoutMs !== config.idleTimeoutMs ||
      old.headersTimeoutMs !== config.headersTimeoutMs ||
      old.streamIdleTimeoutMs !== config.streamIdleTimeoutMs ||
      old.tls?.certFile !== config.tls?.certFile ||
      old.tls?.keyFile !== config.tls?.keyFile
    ) {
      this.pending = createHttpServers(this.runtime, config);
    }
  }

  /** Reload, step 2: new connections and requests see the new config; established ones keep theirs. */
  update(config: ListenerConfig, snapshot: Snapshot): void {
    this.config = config;
    this.runtime.snapshot = snapshot;
    if (this.pending !== undefined) {
      this.servers = this.pending;
      this.allServers.push(this.pending);
      this.pending = undefined;
    }
  }

  private pending: HttpServers | undefined;

  private accept(socket: net.Socket): void {
    const rt = this.runtime;
    if (rt.draining) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.detecting.add(socket);
    (socket as unknown as { [kConnectionFacts]: ConnectionFacts })[kConnectionFacts] = connectionFacts(socket, false);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.detecting.delete(socket);
      this.h1Sockets.delete(socket);
    });
    let seen: Buffer | undefined;
    let decided = false;
    const decide = (kind: Detected) => {
      if (decided) return;
      decided = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      this.detecting.delete(socket);
      socket.pause();
      if (seen !== undefined) socket.unshift(seen);
      this.route(socket, kind === 'more' ? 'tcp' : kind);
    };
    const onData = (chunk: Buffer) => {
      seen = seen === undefined ? chunk : Buffer.concat([seen, chunk]);
      const kind = detect(seen);
      if (kind !== 'more') decide(kind);
    };
    const onEnd = () => {
      if (seen === undefined) socket.destroy();
      else decide(detectOnStall(seen));
    };
    const onError = () => socket.destroy();
    const timer = setTimeout(() => decide(detectOnStall(seen)), this.config.detectTimeoutMs);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
  }

  private route(socket: net.Socket, kind: Exclude<Detected, 'more'>): void {
    const rt = this.runtime;
    const servers = this.servers;
    // Metric label: http1 | http2 | tls | tcp (h2c is HTTP/2; TLS without a certificate is opaque TCP).
    let protocol: string = kind === 'h2c' ? 'http2' : kind;
    if (kind === 'tls' && servers.tls === undefined) protocol = 'tcp';
    rt.metrics.connectionOpen(this.name, protocol);
    socket.once('close', () => rt.metrics.connectionClose(this.name, protocol, socket.bytesRead, socket.bytesWritten));
    socket.on('error', (err) => rt.log.debug({ err: err.message, listener: this.name }, 'downstream socket error'));
    switch (protocol) {
      case 'http1':
        this.h1Sockets.add(socket);
        servers.h1.emit('connection', socket);
        socket.resume();
        return;
      case 'http2':
        // node:http2 picks up the unshifted preface itself; resuming here would lose it.
        servers.h2.emit('connection', socket);
        return;
      case 'tls':
        // Likewise the TLS socket reads the buffered ClientHello when it wraps this socket.
        (servers.tls as NonNullable<HttpServers['tls']>).emit('connection', socket);
        return;
      default:
        forwardTcp(rt, socket);
    }
  }

  /** Stop accepting new connections. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }

  /**
   * Graceful drain: idle HTTP/1 connections close now, busy ones get `connection: close` on their response,
   * HTTP/2 sessions get GOAWAY; waits for connections to finish up to `graceMs`, then destroys the rest.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.runtime.draining = true;
    const closed = this.stopAccepting();
    for (const s of this.detecting) s.destroy();
    this.closeIdle();
    for (const servers of this.allServers) for (const session of servers.sessions) session.close();
    await Promise.race([this.idle(), delay(graceMs)]);
    for (const s of this.sockets) s.destroy();
    for (const servers of this.allServers) for (const session of servers.sessions) session.destroy();
    await closed;
  }

  private closeIdle(): void {
    for (const servers of this.allServers) {
      servers.h1.closeIdleConnections();
      for (const s of servers.tlsH1Sockets) if (isIdleHttp1(s)) s.destroy();
    }
    for (const s of this.h1Sockets) if (isIdleHttp1(s)) s.destroy();
  }

  /** Resolves when no connection is left. */
  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        this.closeIdle();
        if (this.sockets.size === 0) resolve();
        else setTimeout(check, 25).unref();
      };
      check();
    });
  }

  /** Close at once (listener removed by a reload is drained instead; see Proxy.reload). */
  destroy(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}

/** An HTTP/1 connection between requests (node keeps the current response on `_httpMessage`). */
function isIdleHttp1(socket: net.Socket): boolean {
  return (socket as net.Socket & { _httpMessage?: unknown })._httpMessage == null;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
