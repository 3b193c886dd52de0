// undici connector whose sockets let an upstream's early answer win over a failed body write.
// An upstream that answers early (413 + close) before reading a large request body resets the connection;
// our next body write then fails (EPIPE/ECONNRESET) synchronously and node would destroy the socket before
// the answer already sitting in its receive buffer is read, so the client would get a 502. Delaying the
// failure of that write past the next poll phase lets node read the answer first; undici then delivers it
// (it completes a parsed response on ECONNRESET) and the write error lands on a finished request.
import type * as net from 'node:net';
import { createRequire } from 'node:module';
import type { buildConnector as BuildConnector } from 'undici';

const require = createRequire(import.meta.url);

type WriteCallback = (err?: Error | null) => void;

// The connector module alone, like ./undici-pool.ts (the package entry would load all of undici).
const buildConnector: typeof BuildConnector = require('undici/lib/core/connect.js');

export function earlyAnswerConnector(connectTimeoutMs: number): BuildConnector.connector {
  const base = buildConnector({ timeout: connectTimeoutMs });
  return (opts, callback) =>
    base(opts, (...args: Parameters<BuildConnector.Callback>) => {
      if (args[0] === null) deferResetWriteErrors(args[1] as net.Socket);
      callback(...args);
    });
}

/**
 * The failed write may run inside the poll phase, after epoll already returned, while the answer arrived
 * just after: the first setImmediate lands in this iteration's check phase, the second one after the next
 * poll phase, which reads what the upstream sent before its reset.
 */
function afterNextPoll(cb: WriteCallback, err: Error): void {
  setImmediate(() => setImmediate(cb, err));
}

function isReset(err: Error | null | undefined): boolean {
  const code = (err as { code?: string } | null | undefined)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET';
}

function deferResetWriteErrors(socket: net.Socket): void {
  const s = socket as net.Socket & {
    _write(chunk: unknown, encoding: BufferEncoding, cb: WriteCallback): void;
    _writev?(chunks: unknown[], cb: WriteCallback): void;
  };
  const write = s._write;
  s._write = function (chunk, encoding, cb) {
    write.call(this, chunk, encoding, (err) => (isReset(err) ? afterNextPoll(cb, err as Error) : cb(err)));
  };
  const writev = s._writev;
  if (writev !== undefined) {
    s._writev = function (chunks, cb) {
      writev.call(this, chunks, (err) => (isReset(err) ? afterNextPoll(cb, err as Error) : cb(err)));
    };
  }
}
