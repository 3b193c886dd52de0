// Protocol detection on the first bytes of a connection (like linkerd2-proxy's detect layer).
//
// What is not HTTP/1, HTTP/2 or TLS goes to the listener's opaque TCP cluster, past every HTTP route and
// plugin. So anything that starts like an HTTP request is HTTP/1, even when it is malformed (node's parser
// then answers 400) or arrives slowly: only bytes that cannot begin a request line are opaque.

export type Detected = 'http1' | 'h2c' | 'tls' | 'tcp' | 'more';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Longest HTTP method token we wait for; a longer run of method characters is a malformed HTTP/1 request. */
const MAX_METHOD = 24;

const CR = 0x0d;
const LF = 0x0a;

/** Upper-case letters, '-' and '_': what HTTP methods in use are made of. */
function methodChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f;
}

/** Decides from the bytes seen so far; 'more' asks for more bytes. */
export function detect(buf: Buffer): Detected {
  // RFC 9112 §2.2: a server ignores empty lines before a request line (node's parser does).
  let start = 0;
  while (start < buf.length && (buf[start] === CR || buf[start] === LF)) start++;
  if (start === buf.length) return 'more';
  if (start === 0 && buf[0] === 0x16) return 'tls';
  // HTTP/2 prior knowledge preface (a prefix of it means wait).
  if (start === 0) {
    const n = Math.min(buf.length, PREFACE.length);
    if (buf.compare(PREFACE, 0, n, 0, n) === 0) return n === PREFACE.length ? 'h2c' : 'more';
  }
  // Opaque protocols start otherwise (binary, lower-case commands such as memcached's, or nothing at all).
  if (!methodChar(buf[start]!)) return 'tcp';
  for (let i = start; i < buf.length; i++) {
    if (i - start > MAX_METHOD) return 'http1';
    const c = buf[i]!;
    if (methodChar(c)) continue;
    if (c === 0x20) return 'http1';
    // A printable byte or a tab inside the method is a malformed request line (`G3T`, `Get`, `GET\t/`);
    // a control or non-ASCII byte is a binary protocol with an upper-case magic (`AMQP\0...`).
    return (c >= 0x21 && c <= 0x7e) || c === 0x09 ? 'http1' : 'tcp';
  }
  return 'more';
}

/**
 * What a connection is when its client stops sending during detection (timeout or half-close): opaque
 * TCP if it sent nothing (a server-speaks-first protocol), else HTTP/1, since detect() only waits on
 * bytes that can begin an HTTP request; node's parser then times the head out or refuses it.
 */
export function detectOnStall(seen: Buffer | undefined): Exclude<Detected, 'more'> {
  return seen === undefined || seen.length === 0 ? 'tcp' : 'http1';
}
