// Protocol detection on the first bytes of a connection (like linkerd2-proxy's detect layer).

export type Detected = 'http1' | 'h2c' | 'tls' | 'tcp' | 'more';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Longest HTTP method token we wait for before calling the stream opaque. */
const MAX_METHOD = 24;

/** Decides from the bytes seen so far; 'more' asks for more bytes. */
export function detect(buf: Buffer): Detected {
  if (buf.length === 0) return 'more';
  if (buf[0] === 0x16) return 'tls';
  // HTTP/2 prior knowledge preface (a prefix of it means wait).
  const n = Math.min(buf.length, PREFACE.length);
  if (buf.compare(PREFACE, 0, n, 0, n) === 0) return n === PREFACE.length ? 'h2c' : 'more';
  // HTTP/1.x request line starts with a method token (upper-case letters, '-' or '_') and a space.
  for (let i = 0; i < buf.length && i <= MAX_METHOD; i++) {
    const c = buf[i];
    if (c === 0x20) return i > 0 ? 'http1' : 'tcp';
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f)) return 'tcp';
  }
  return buf.length > MAX_METHOD ? 'tcp' : 'more';
}
