// Real upstream servers for integration tests, all on 127.0.0.1 port 0:
// HTTP/1 (node:http) and h2c (node:http2 compat API) share one request handler; plus a
// WebSocket echo (ws), an opaque TCP echo (net). gRPC lives in grpc.ts.
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** What an upstream saw of one request (recorded when the head arrives). */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  httpVersion: string;
}

/** The JSON body the echo handler answers with. */
export interface EchoReply {
  method: string;
  url: string;
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  bodyBytes: number;
  trailers: Record<string, string | string[] | undefined>;
  /** Local port of the upstream's side of the connection: tells which upstream served it. */
  upstream: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpUpstream {
  port: number;
  /** `127.0.0.1:<port>`, ready to drop into a cluster's endpoints. */
  endpoint: string;
  /** Every request seen, in arrival order. */
  requests: SeenRequest[];
  /** Number of TCP connections accepted so far. */
  connections(): number;
  /** Number of TCP connections open right now. */
  openConnections(): number;
  /** Serves `path` (exact pathname) with `handler` from now on, ahead of the default handler. */
  handle(path: string, handler: Handler): void;
  /** Closes idle keep-alive connections (HTTP/1: FIN; HTTP/2: GOAWAY on idle sessions). */
  closeIdle(): void;
  name: string;
  close(): Promise<void>;
}

/**
 * Serves `path` with a body that drips forever, so only the other side closing ends it. Returns the
 * URLs whose responses were closed (a proxy passing a client's disconnect or cancel on).
 */
export function dripUntilClosed(upstream: HttpUpstream, path: string, t: { after(fn: () => void): void }): string[] {
  const ended: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  upstream.handle(path, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    timer = setInterval(() => res.write('drop;'), 20);
    res.on('close', () => { clearInterval(timer); ended.push(req.url ?? ''); });
  });
  t.after(() => clearInterval(timer));
  return ended;
}

/** Deterministic pseudo-random bytes (xorshift32), so both ends can hash without storing a copy. */
export function patternBytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2;
}

/** Kills the response mid-body: TCP reset on HTTP/1, RST_STREAM(INTERNAL_ERROR) on HTTP/2. */
export function resetResponse(req: IncomingMessage, res: ServerResponse): void {
  if (isHttp2(req)) {
    const stream = (res as unknown as { stream: http2.ServerHttp2Stream }).stream;
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  } else {
    req.socket.resetAndDestroy();
  }
}

/**
 * The standard routes, by path:
 *   /hash            consume the body, answer {bytes, sha256}
 *   /bytes?n=N       answer N pattern bytes (content-length; &chunked=1 for chunked)
 *   /pipe            stream the request body straight back (chunked)
 *   /trailers        echo JSON, plus response trailer x-upstream-trailer: yes
 *   /slow?ms=N       answer "slow done" after N ms
 *   /reset           send the head and 1 KiB, then reset the connection/stream
 *   /status/NNN      answer status NNN with a body attempt ("should not be sent")
 *   anything else    echo JSON (EchoReply)
 */
export function standardHandler(name: string): Handler {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const path = url.pathname;
    const upstream = `${name}:${req.socket.localPort}`;
    res.setHeader('x-upstream', name);
    if (path === '/hash') {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (c: Buffer) => { hash.update(c); bytes += c.length; });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') }));
      });
      return;
    }
    if (path === '/bytes') {
      const n = Number(url.searchParams.get('n') ?? '0');
      const body = patternBytes(n, Number(url.searchParams.get('seed') ?? '1'));
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/octet-stream');
        if (url.searchParams.get('chunked') === '1') {
          // write() before end(): node would otherwise compute a content-length itself.
          res.write(body);
          res.end();
        } else {
          res.setHeader('content-length', String(n));
          res.end(body);
        }
      });
      return;
    }
    if (path === '/pipe') {
      res.setHeader('content-type', 'application/octet-stream');
      req.pipe(res);
      return;
    }
    if (path === '/slow') {
      const ms = Number(url.searchParams.get('ms') ?? '1000');
      req.resume();
      const timer = setTimeout(() => res.end('slow done'), ms);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    if (path === '/reset') {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100000' });
      res.write(patternBytes(1024), () => setTimeout(() => resetResponse(req, res), 20));
      return;
    }
    if (path.startsWith('/status/')) {
      const status = Number(path.slice('/status/'.length));
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { etag: '"v1"' });
        res.end('should not be sent');
      });
      return;
    }
    void readBody(req).then((body) => {
      const reply: EchoReply = {
        method: req.method ?? '',
        url: req.url ?? '',
        httpVersion: req.httpVersion,
        headers: req.headers,
        body: body.toString('utf8'),
        bodyBytes: body.length,
        trailers: req.trailers,
        upstream,
      };
      const text = JSON.stringify(reply);
      res.setHeader('content-type', 'application/json');
      if (path === '/trailers') {
        if (!isHttp2(req)) res.setHeader('trailer', 'x-upstream-trailer');
        res.write(text);
        res.addTrailers({ 'x-upstream-trailer': 'yes' });
        res.end();
      } else {
        res.setHeader('content-length', String(Buffer.byteLength(text)));
        res.end(text);
      }
    });
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function recorder(requests: SeenRequest[], handler: Handler, overrides: Map<string, Handler>): Handler {
  return (req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, httpVersion: req.httpVersion });
    const override = overrides.size > 0 ? overrides.get(new URL(req.url ?? '/', 'http://upstream').pathname) : undefined;
    (override ?? handler)(req, res);
  };
}

/** HTTP/1.1 upstream; `handler` defaults to the standard routes. */
export async function startHttp1Upstream(options: { name?: string; handler?: Handler } = {}): Promise<HttpUpstream> {
  const name = options.name ?? 'h1';
  const requests: SeenRequest[] = [];
  const overrides = new Map<string, Handler>();
  const server = http.createServer({ keepAliveTimeout: 60_000, maxHeaderSize: 64 * 1024 }, recorder(requests, options.handler ?? standardHandler(name), overrides));
  let connections = 0;
  let open = 0;
  server.on('connection', (socket: net.Socket) => {
    connections++;
    open++;
    socket.on('close', () => { open--; });
  });
  const port = await listen(server);
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    requests,
    name,
    connections: () => connections,
    openConnections: () => open,
    handle: (path, h) => { overrides.set(path, h); },
    closeIdle: () => server.closeIdleConnections(),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** h2c (HTTP/2 prior knowledge) upstream with the same handler, through node's compat API. */
export async function startH2cUpstream(options: { name?: string; handler?: Handler } = {}): Promise<HttpUpstream> {
  const name = options.name ?? 'h2';
  const requests: SeenRequest[] = [];
  const overrides = new Map<string, Handler>();
  const handler = recorder(requests, options.handler ?? standardHandler(name), overrides);
  const server = http2.createServer({ maxSessionMemory: 64 }, handler as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('connection', (socket: net.Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    requests,
    name,
    connections: () => connections,
    openConnections: () => sockets.size,
    handle: (path, h) => { overrides.set(path, h); },
    closeIdle: () => { for (const session of sessions) session.close(); },
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface WebSocketUpstream {
  port: number;
  endpoint: string;
  /** Upgrade request heads seen. */
  upgrades: SeenRequest[];
  close(): Promise<void>;
}

/** WebSocket echo: every message comes back prefixed with "echo:". */
export async function startWebSocketUpstream(): Promise<WebSocketUpstream> {
  const upgrades: SeenRequest[] = [];
  const server = http.createServer((req, res) => { res.writeHead(426); res.end('upgrade required'); });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    upgrades.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, httpVersion: req.httpVersion });
    ws.on('message', (data, isBinary) => {
      if (isBinary) ws.send(data, { binary: true });
      else ws.send(`echo:${data.toString()}`);
    });
  });
  const port = await listen(server);
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    upgrades,
    close: () => new Promise((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface TcpUpstream {
  port: number;
  endpoint: string;
  /** Bytes received per accepted connection, in order. */
  received: Buffer[];
  close(): Promise<void>;
}

/**
 * Opaque TCP echo: writes back every byte it reads. With `banner`, it speaks first on every
 * connection (like SMTP or MySQL), so a client that sends nothing still learns it got through.
 */
export async function startTcpEchoUpstream(options: { banner?: string } = {}): Promise<TcpUpstream> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const index = received.push(Buffer.alloc(0)) - 1;
    sockets.add(socket);
    if (options.banner !== undefined) socket.write(options.banner);
    socket.on('data', (chunk: Buffer) => {
      received[index] = Buffer.concat([received[index]!, chunk]);
      socket.write(chunk);
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A port on 127.0.0.1 with nothing listening (bound, then closed), for "connection refused". */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RawUpstream {
  port: number;
  endpoint: string;
  /** Raw request bytes received per connection. */
  received: string[];
  close(): Promise<void>;
}

/**
 * An upstream that answers every connection with `reply(requestHead)` bytes once a request head
 * arrived, then closes: for malformed or hostile responses node:http would refuse to produce.
 */
export async function startRawUpstream(reply: (head: string) => string | Buffer): Promise<RawUpstream> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const index = received.push('') - 1;
    sockets.add(socket);
    let answered = false;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received[index] += chunk;
      if (!answered && received[index]!.includes('\r\n\r\n')) {
        answered = true;
        socket.end(reply(received[index]!));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
