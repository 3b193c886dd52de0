// The shape every upstream client speaks. It is undici's (legacy, allocation-free) dispatch handler shape, so
// HTTP/1 clusters hand the exchange straight to undici, and the HTTP/2 client calls the same methods.
import type { Readable } from 'node:stream';

export interface UpstreamRequest {
  method: string;
  /** Request target (path + query). */
  path: string;
  /** Flat [name, value, ...] list, lower-case names, including `host`; no hop-by-hop names. */
  headers: string[];
  /**
   * Request body, or null when the request has none. After it ends, its `trailers` property (as on node's
   * IncomingMessage) holds request trailers; only HTTP/2 clusters forward them.
   */
  body: Readable | null;
  /** Time until response headers; 0 disables. */
  timeoutMs: number;
  /** The body may be followed by trailers (declared by the client): the h2 client then waits for them. */
  expectsTrailers: boolean;
}

export interface UpstreamHandler {
  /** Called once the request is being sent; `abort` cancels it (onError follows). */
  onConnect(abort: (err?: Error) => void): void;
  /** Response head; flat raw list (Buffers from undici, strings from the h2 client). Return false to pause. */
  onHeaders(statusCode: number, headers: Array<Buffer | string>, resume: () => void, statusText: string): boolean;
  /** A body chunk; return false to pause until `resume` (given with the headers) is called. */
  onData(chunk: Buffer): boolean;
  /** Response end with trailers as a flat raw list (or null). */
  onComplete(trailers: Array<Buffer | string> | null): void;
  onError(err: Error): void;
  /** A request body chunk was handed to the connection (bytes-in accounting). */
  onBodySent?(chunk: Buffer | string | number): void;
  /** HTTP/2 only: the response head ended the stream (gRPC trailers-only). Replaces onHeaders+onComplete. */
  onTrailersOnly?(statusCode: number, headers: string[]): void;
}

/** One upstream endpoint (a host:port) with its connection pool. */
export interface Endpoint {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  dispatch(req: UpstreamRequest, handler: UpstreamHandler): void;
  /**
   * Whether a request dispatched now would wait in a queue for a connection. The upstream client's own
   * head timeout only starts once the request is sent, so such a request needs the exchange's timer.
   */
  wouldQueue?(): boolean;
  /** Graceful: finish in-flight requests, then close connections. */
  close(): Promise<void>;
  destroy(): void;
}

/** Error codes the upstream clients use that the exchange maps to statuses. */
export const UpstreamErrorCode = {
  timeout: 'REMORA_UPSTREAM_TIMEOUT',
  connect: 'REMORA_UPSTREAM_CONNECT',
} as const;

export function upstreamError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}
