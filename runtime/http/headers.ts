// Header rewriting between downstream and upstream: hop-by-hop stripping (RFC 9110 §7.6.1) and the
// forwarding headers Remora adds. Works on node's flat rawHeaders arrays to avoid building objects.
import { normalizePath } from './path.ts';
import { randomUUID } from 'node:crypto';
import type { HeaderMap } from '../filter/types.ts';

/** Facts gathered while copying the request head; routing and logging read them. */
export interface RequestHead {
  method: string;
  /** Request target as received (path + query). */
  path: string;
  /** Host / :authority as received (may include a port); "" when absent. */
  authority: string;
  requestId: string;
  /** Upstream header list, flat [name, value, ...], lower-case names, includes `host`. */
  headers: string[];
  /** Connection-level fact: the request carries a body (content-length > 0 or chunked, or h2 without END_STREAM). */
  hasBody: boolean;
  /** Why Remora must answer this head itself instead of routing it (see refusalOf), or undefined. */
  refusal: HeadRefusal | undefined;
  /** Declared content-length, -1 when absent. */
  contentLength: number;
  /** The request declared trailers (`trailer` header, or `te: trailers` on h2). */
  expectsTrailers: boolean;
}

/** scheme://authority then path-and-query (fragment never sent). */
const ABSOLUTE_FORM = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)([^#]*)/;

/** Names that never cross the proxy (they describe one connection, not the message). */
function isHopByHop(name: string): boolean {
  switch (name) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-connection':
    case 'transfer-encoding':
    case 'upgrade':
    case 'trailer':
    case 'expect': // Remora answers 100-continue itself, like Envoy
    case 'http2-settings':
      return true;
    default:
      return false;
  }
}

/** Drops names listed in a Connection header value (other than the usual keep-alive/close/upgrade tokens). */
function connectionListed(connection: string): string[] | undefined {
  let listed: string[] | undefined;
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === '' || t === 'close' || t === 'keep-alive' || t === 'upgrade') continue;
    (listed ??= []).push(t);
  }
  return listed;
}

/**
 * Copies a downstream request head into an upstream header list, adding x-forwarded-for,
 * x-forwarded-proto, x-request-id (when absent) and via. `keepUpgrade` keeps connection/upgrade for tunnels.
 */
export function buildRequestHead(
  method: string,
  path: string,
  raw: string[],
  clientAddress: string,
  scheme: string,
  http2: boolean,
  keepUpgrade: boolean,
): RequestHead {
  const out: string[] = [];
  let authority = '';
  if (path.charCodeAt(0) !== 47 /* '/' */ && path !== '*') {
    // Absolute-form target (clients using Remora as their HTTP proxy): its authority replaces Host and the
    // upstream gets the origin-form (RFC 9112 §3.2.2, §3.3).
    const abs = ABSOLUTE_FORM.exec(path);
    if (abs !== null) {
      const at = abs[1].lastIndexOf('@');
      authority = at === -1 ? abs[1] : abs[1].slice(at + 1);
      path = abs[2] === '' ? '/' : abs[2].charCodeAt(0) === 63 /* '?' */ ? `/${abs[2]}` : abs[2];
    }
  }
  path = normalizePath(path);
  let forwardedFor = '';
  let requestId = '';
  let via = '';
  let connection = '';
  let contentLength = -1;
  let chunked = false;
  let expectsTrailers = false;
  let cookie: string | undefined;
  let unsupportedCoding = false;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (name === ':authority') authority = value;
      continue;
    }
    switch (name) {
      case 'host':
        hosts++;
        if (authority === '') authority = value;
        continue;
      case 'content-length':
        contentLength = Number(value);
        break;
      case 'transfer-encoding':
        chunked = true;
        if (!unsupportedCoding) unsupportedCoding = !onlyChunked(value);
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === '' ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        continue;
      case 'x-request-id':
        if (requestId === '') requestId = value;
        break;
      case 'via':
        via = via === '' ? value : `${via}, ${value}`;
        continue;
      case 'cookie':
        // HTTP/2 may split cookies into several fields; HTTP/1 wants one, joined with "; " (RFC 9113 §8.2.3).
        if (http2) {
          cookie = cookie === undefined ? value : `${cookie}; ${value}`;
          continue;
        }
        break;
      case 'te':
        // Only "trailers" may cross (gRPC over h2 requires it).
        if (value.trim().toLowerCase() === 'trailers') {
          if (http2) expectsTrailers = true;
          break;
        }
        continue;
      case 'trailer':
        expectsTrailers = true;
        continue;
      case 'connection':
        connection = connection === '' ? value : `${connection}, ${value}`;
        if (keepUpgrade) break;
        continue;
      case 'upgrade':
        if (keepUpgrade) break;
        continue;
      default:
        if (isHopByHop(name)) continue;
    }
    out.push(name, value);
  }
  if (connection !== '') {
    const listed = connectionListed(connection);
    if (listed !== undefined) removeNames(out, listed);
  }
  if (cookie !== undefined) out.push('cookie', cookie);
  if (authority !== '') out.push('host', authority);
  out.push('x-forwarded-for', forwardedFor === '' ? clientAddress : `${forwardedFor}, ${clientAddress}`);
  out.push('x-forwarded-proto', scheme);
  if (requestId === '') {
    requestId = randomUUID();
    out.push('x-request-id', requestId);
  }
  const me = http2 ? '2 remora' : '1.1 remora';
  out.push('via', via === '' ? me : `${via}, ${me}`);
  return {
    method,
    path,
    authority,
    requestId,
    headers: out,
    hasBody: chunked || contentLength > 0,
    refusal: refusalOf(unsupportedCoding, hosts, authority, path),
    contentLength,
    expectsTrailers,
  };
}

export interface HeadRefusal {
  status: number;
  /** The `remora-proxy-error` reason. */
  reason: string;
}

/**
 * Heads Remora answers itself, in this order:
 * - a body in a transfer coding other than chunked (`gzip, chunked`): node's parser takes off the
 *   chunking only and Remora does not decode the rest, so 501 (RFC 9112 §6.1);
 * - more than one Host field, or a Host that is no authority (`a b/c`): 400 (RFC 9112 §3.2), since Remora
 *   and the upstream could each pick a different one (cache poisoning, routing around plugins);
 * - a target with bytes no request line may carry (space, controls, non-ASCII): node's HTTP/1 parser
 *   refuses those, but an HTTP/2 `:path` can hold them, and an HTTP/1 upstream would reject the request.
 */
function refusalOf(unsupportedCoding: boolean, hosts: number, authority: string, path: string): HeadRefusal | undefined {
  if (unsupportedCoding) return { status: 501, reason: 'transfer coding not supported' };
  if (hosts > 1 || !AUTHORITY.test(authority)) return { status: 400, reason: 'invalid host' };
  if (NOT_IN_TARGET.test(path)) return { status: 400, reason: 'invalid request target' };
  return undefined;
}

/** Bytes a request target may not contain (RFC 9112 §3.2: visible ASCII only). */
const NOT_IN_TARGET = /[^\x21-\x7e]/;

/** What an authority (host, port, IP literal) may contain (RFC 3986 §3.2, no user info). */
const AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=%:[\]]*$/;

/** A Transfer-Encoding value that is `chunked`, maybe after no-op `identity` codings. */
function onlyChunked(value: string): boolean {
  if (value.length === 7 && value.toLowerCase() === 'chunked') return true;
  const codings = value.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  return codings.length === 1 && codings[0] === 'chunked';
}

function removeNames(flat: string[], names: string[]): void {
  for (let i = flat.length - 2; i >= 0; i -= 2) {
    if (names.includes(flat[i])) flat.splice(i, 2);
  }
}

/**
 * Strips hop-by-hop names from an upstream response header object in place (undici/http2 give a fresh
 * object per response, so no copy). Adds `via`.
 */
export function cleanResponseHeaders(headers: Record<string, string | string[] | undefined>, http2: boolean): void {
  const connection = headers.connection;
  if (connection !== undefined) {
    const listed = connectionListed(Array.isArray(connection) ? connection.join(',') : connection);
    if (listed !== undefined) for (const n of listed) delete headers[n];
    delete headers.connection;
  }
  if (headers['keep-alive'] !== undefined) delete headers['keep-alive'];
  if (headers['transfer-encoding'] !== undefined) delete headers['transfer-encoding'];
  if (headers['proxy-connection'] !== undefined) delete headers['proxy-connection'];
  if (headers.upgrade !== undefined) delete headers.upgrade;
  if (headers.trailer !== undefined) delete headers.trailer;
  if (headers.te !== undefined) delete headers.te;
  const me = http2 ? '2 remora' : '1.1 remora';
  const via = headers.via;
  headers.via = via === undefined ? me : `${Array.isArray(via) ? via.join(', ') : via}, ${me}`;
}

/**
 * Fields a request's trailers may not carry to the upstream (RFC 9110 §6.5.1: framing, routing,
 * authentication, request modifiers and content metadata), plus the forwarding fields Remora sets: an
 * upstream that merges trailers into headers must not get a second Host, Authorization or
 * X-Forwarded-For from the client this way.
 */
const NOT_IN_TRAILERS = new Set([
  'content-length', 'content-type', 'content-encoding', 'content-range', 'host', 'authorization',
  'proxy-authorization', 'cookie', 'expect', 'max-forwards', 'cache-control', 'pragma', 'range', 'if-match',
  'if-none-match', 'if-modified-since', 'if-unmodified-since', 'if-range', 'x-forwarded-for',
  'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-request-id', 'via',
]);

/** Removes pseudo-headers, connection-specific names and NOT_IN_TRAILERS from request trailers in place. */
export function cleanTrailers(trailers: Record<string, string | string[] | undefined>): void {
  for (const name of Object.keys(trailers)) {
    if (name.charCodeAt(0) === 58 || isHopByHop(name) || name === 'te' || NOT_IN_TRAILERS.has(name)) delete trailers[name];
  }
}

/** Converts a flat [name, value, ...] list to a HeaderMap (pairs), skipping `host` which becomes :authority. */
export function flatToRequestMap(head: RequestHead, scheme: string): HeaderMap {
  const map: HeaderMap = [
    [':method', head.method],
    [':path', head.path],
    [':authority', head.authority],
    [':scheme', scheme],
  ];
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] !== 'host') map.push([h[i], h[i + 1]]);
  }
  return map;
}

/**
 * True when `map` is still exactly what flatToRequestMap made of `head` (the filters changed no request
 * header): then the head needs no rebuilding and the route no second match. Plugins change maps through
 * the hostcalls, which replace, add or drop pairs, so comparing names and values in order sees every edit.
 */
export function requestMapUnchanged(map: HeaderMap, head: RequestHead, scheme: string): boolean {
  if (map.length < 4) return false;
  const [m, p, a, s] = map as [HeaderMap[number], HeaderMap[number], HeaderMap[number], HeaderMap[number]];
  if (m[0] !== ':method' || m[1] !== head.method || p[0] !== ':path' || p[1] !== head.path) return false;
  if (a[0] !== ':authority' || a[1] !== head.authority || s[0] !== ':scheme' || s[1] !== scheme) return false;
  const h = head.headers;
  let at = 4;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === 'host') continue;
    const pair = map[at++];
    if (pair === undefined || pair[0] !== h[i] || pair[1] !== h[i + 1]) return false;
  }
  return at === map.length;
}

/** Reads the request pseudo-headers back out of a HeaderMap and rebuilds the flat upstream list. */
export function requestMapToHead(map: HeaderMap, head: RequestHead): void {
  const flat: string[] = [];
  let authority = '';
  for (const [name, value] of map) {
    if (name.charCodeAt(0) === 58) {
      if (name === ':method') head.method = value;
      else if (name === ':path') head.path = value;
      else if (name === ':authority') authority = value;
      continue;
    }
    if (name === 'host') {
      if (authority === '') authority = value;
      continue;
    }
    if (name === 'x-request-id') head.requestId = value;
    flat.push(name, value);
  }
  head.authority = authority;
  if (authority !== '') flat.push('host', authority);
  head.headers = flat;
}

/** Node header object (response headers or trailers) to a HeaderMap; `status` adds :status first. */
export function objectToMap(obj: Record<string, string | string[] | undefined>, status?: number): HeaderMap {
  const map: HeaderMap = status === undefined ? [] : [[':status', String(status)]];
  for (const name of Object.keys(obj)) {
    const v = obj[name];
    if (v === undefined || name.charCodeAt(0) === 58) continue;
    if (Array.isArray(v)) for (const x of v) map.push([name, x]);
    else map.push([name, String(v)]);
  }
  return map;
}

/** HeaderMap back to a node header object; returns the :status when present. */
export function mapToObject(map: HeaderMap, into: Record<string, string | string[]>): number {
  let status = 0;
  for (const [name, value] of map) {
    if (name === ':status') {
      status = Number(value);
      continue;
    }
    if (name.charCodeAt(0) === 58) continue;
    const prev = into[name];
    if (prev === undefined) into[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else into[name] = [prev, value];
  }
  return status;
}

/** Value of a header in a flat list (first occurrence), or undefined. */
export function flatGet(flat: string[], name: string): string | undefined {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return flat[i + 1];
  return undefined;
}
