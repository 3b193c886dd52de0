// proxy_grpc_call / proxy_grpc_stream over node:http2 (h2c) to a configured cluster: gRPC framing
// (1-byte flag, 4-byte big-endian length), metadata as HTTP/2 headers, status from trailers (or a
// trailers-only response). Events go to the host in order: initial metadata, messages, trailing
// metadata, close.

import type { CalloutStart, GrpcCallRequest, GrpcEvents, GrpcStreamHandle, HeaderPairs } from '../../abi/index.ts';
import type { CalloutEndpoints } from './cluster-endpoints.ts';

function frame(msg: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(5 + msg.length);
  b[0] = 0;
  b.writeUInt32BE(msg.length, 1);
  b.set(msg, 5);
  return b;
}

function pairs(h: Record<string, unknown>): HeaderPairs {
  const out: HeaderPairs = [];
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push([k, String(x)]);
    else out.push([k, String(v)]);
  }
  return out;
}

/** grpc-message is percent-encoded on the wire. */
function grpcMessage(v: unknown): string {
  const text = String(v ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function startGrpc(
  endpoints: CalloutEndpoints,
  req: GrpcCallRequest,
  events: GrpcEvents,
  streaming: boolean,
): CalloutStart | GrpcStreamHandle {
  const cluster = endpoints.cluster(req.cluster);
  if (!cluster) return 'unknown-cluster';
  const endpoint = endpoints.pick(cluster);
  if (!endpoint) {
    queueMicrotask(() => events.close(14, 'no healthy upstream'));
    return { send() {}, close() {}, cancel() {} };
  }
  const headers: Record<string, string | string[]> = {
    ':method': 'POST',
    ':path': `/${req.service}/${req.method}`,
    ':scheme': 'http',
    ':authority': endpoint,
    'content-type': 'application/grpc',
    te: 'trailers',
  };
  if (req.timeoutMs > 0) headers['grpc-timeout'] = `${req.timeoutMs}m`;
  for (const [k, v] of req.initialMetadata) {
    const cur = headers[k];
    headers[k] = cur === undefined ? v : ([] as string[]).concat(cur, v);
  }
  let closed = false;
  const close = (status: number, message: string) => {
    if (closed) return;
    closed = true;
    if (timer) clearTimeout(timer);
    events.close(status, message);
  };
  let stream: ReturnType<ReturnType<CalloutEndpoints['session']>['request']>;
  try {
    stream = endpoints.session(endpoint).request(headers);
  } catch (e) {
    queueMicrotask(() => close(14, (e as Error).message));
    return { send() {}, close() {}, cancel() {} };
  }
  const timer = req.timeoutMs > 0 ? setTimeout(() => {
    stream.close();
    close(4, 'deadline exceeded');
  }, req.timeoutMs) : undefined;
  timer?.unref();

  let pending: Buffer = Buffer.alloc(0);
  stream.on('response', (h) => {
    const status = h['grpc-status'];
    if (status !== undefined) {
      // Trailers-only response: its headers are the trailing metadata.
      if (streaming) events.trailingMetadata(pairs(h));
      close(Number(status), grpcMessage(h['grpc-message']));
      return;
    }
    if (streaming) events.initialMetadata(pairs(h));
  });
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
      const len = pending.readUInt32BE(1);
      if (pending.length < 5 + len) break;
      const msg = Buffer.from(pending.subarray(5, 5 + len));
      pending = pending.subarray(5 + len);
      if (!closed) events.message(msg);
    }
  });
  stream.on('trailers', (t) => {
    if (closed) return;
    if (streaming) events.trailingMetadata(pairs(t));
    close(Number(t['grpc-status'] ?? 2), grpcMessage(t['grpc-message']));
  });
  stream.on('close', () => close(stream.rstCode ? 1 : 2, stream.rstCode ? 'cancelled' : 'stream closed without status'));
  stream.on('error', (e) => close(14, e.message));
  if (!streaming) stream.end(frame(req.message));
  return {
    send(message, endStream) {
      if (stream.writable) {
        if (endStream) stream.end(frame(message));
        else stream.write(frame(message));
      }
    },
    close() {
      if (stream.writable) stream.end();
    },
    cancel() {
      closed = true;
      if (timer) clearTimeout(timer);
      stream.close();
    },
  };
}
