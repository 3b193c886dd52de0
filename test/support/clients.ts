// Small client helpers for integration tests: a one-shot HTTP/1 request, an HTTP/2 request on
// an existing session, a raw TCP exchange for malformed input, and polling until a condition holds.
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { ClientHttp2Session, IncomingHttpHeaders as H2Headers } from 'node:http2';
import net from 'node:net';

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  trailers: NodeJS.Dict<string>;
  /** Local port of the client socket (tells whether a keep-alive socket was reused). */
  localPort: number;
}

export interface HttpRequestOptions {
  method?: string;
  path?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Defaults to a fresh connection per request (no agent). */
  agent?: http.Agent | false;
  timeoutMs?: number;
}

/** One HTTP/1.1 request to 127.0.0.1:port; resolves with the whole response. */
export function httpRequest(port: number, options: HttpRequestOptions = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: options.method ?? 'GET',
      path: options.path ?? '/',
      headers: options.headers,
      agent: options.agent ?? false,
    });
    const timer = setTimeout(() => req.destroy(new Error(`request ${options.path} timed out`)), options.timeoutMs ?? 10_000);
    req.on('error', (err) => { clearTimeout(timer); reject(err); });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => { clearTimeout(timer); reject(err); });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          trailers: res.trailers,
          localPort: res.socket?.localPort ?? 0,
        });
      });
    });
    req.end(options.body);
  });
}

/** Parses an echo reply body (see upstreams.ts EchoReply). */
export function json<T = any>(reply: { body: Buffer }): T {
  return JSON.parse(reply.body.toString('utf8')) as T;
}

export interface H2Reply {
  headers: H2Headers;
  status: number;
  body: Buffer;
  trailers: H2Headers;
}

/** One request on an HTTP/2 session; `trailers` are sent after the body when given. */
export function h2Request(session: ClientHttp2Session, options: {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  trailers?: Record<string, string>;
}): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': options.method ?? 'GET',
      ':path': options.path ?? '/',
      ...options.headers,
    }, { endStream: options.body === undefined && options.trailers === undefined, waitForTrailers: options.trailers !== undefined });
    if (options.trailers) stream.on('wantTrailers', () => stream.sendTrailers(options.trailers!));
    let headers: H2Headers = {};
    let trailers: H2Headers = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => { headers = h; });
    stream.on('trailers', (t) => { trailers = t; });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => resolve({ headers, status: Number(headers[':status']), body: Buffer.concat(chunks), trailers }));
    if (options.body !== undefined) stream.end(options.body);
    else if (options.trailers !== undefined) stream.end();
  });
}

export interface RawResult {
  /** Everything the server sent. */
  data: string;
  /** True when the server closed the connection (rather than our wait running out). */
  closed: boolean;
}

/**
 * Connects, writes `bytes`, and collects what comes back until the server closes the
 * connection or `waitMs` passes (then we close it ourselves).
 */
export function rawExchange(port: number, bytes: string | Buffer, waitMs = 3000): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d: string) => { data += d; });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish(true);
      else if (!done) { done = true; clearTimeout(timer); reject(err); }
    });
  });
}

/** Status code of the first response in raw HTTP/1 text, or 0. */
export function firstStatus(raw: string): number {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  return match ? Number(match[1]) : 0;
}

/** Retries `fn` until it returns without throwing, or rethrows the last error after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 5000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** A promise with its resolve function exposed, for gating upstream handlers from a test. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => { open = resolve; });
  return { promise, open };
}

/** Fetches a path from the admin server: status and text body. */
export async function admin(port: number, path: string): Promise<{ status: number; text: string; headers: IncomingHttpHeaders }> {
  const reply = await httpRequest(port, { path });
  return { status: reply.status, text: reply.body.toString('utf8'), headers: reply.headers };
}
