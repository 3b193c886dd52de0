// Envoy attributes a sidecar knows (reference §5), read from the data plane's StreamInfo /
// ConnectionInfo and returned in the host's PropertyValue shapes (encoded by abi/).

import { prop, type PropertyValue } from '../../abi/index.ts';
import type { ConnectionInfo, HeaderMap, StreamInfo } from '../filter/types.ts';

/** Milliseconds (epoch or duration) to int64 nanoseconds, exact for whole milliseconds. */
const ns = (ms: number) => (Number.isInteger(ms) ? BigInt(ms) * 1_000_000n : BigInt(Math.round(ms * 1e6)));

function header(map: HeaderMap | undefined, name: string): string | undefined {
  if (!map) return undefined;
  for (const [k, v] of map) if (k === name) return v;
  return undefined;
}

/** Lower-case names, repeated headers comma-joined, pseudo-headers left out (Envoy's header maps). */
function headerMap(map: HeaderMap | undefined, name?: string): PropertyValue | undefined {
  if (!map) return undefined;
  if (name !== undefined) {
    const values = map.filter(([k]) => k === name).map(([, v]) => v);
    return values.length ? values.join(',') : undefined;
  }
  const out = new Map<string, string>();
  for (const [k, v] of map) {
    if (k.startsWith(':')) continue;
    const cur = out.get(k);
    out.set(k, cur === undefined ? v : `${cur},${v}`);
  }
  return prop.map([...out]);
}

/** host:port as Envoy prints it; IPv4-mapped IPv6 (node's dual-stack sockets) shown as IPv4. */
function hostPort(addr: string, port: number): string {
  const a = addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

function connectionProperty(key: string, c: ConnectionInfo | StreamInfo): PropertyValue | undefined {
  switch (key) {
    case 'source.address':
      return c.sourceAddress ? hostPort(c.sourceAddress, c.sourcePort) : undefined;
    case 'source.port':
      return prop.int(c.sourcePort);
    case 'destination.address':
      return c.destinationAddress ? hostPort(c.destinationAddress, c.destinationPort) : undefined;
    case 'destination.port':
      return prop.int(c.destinationPort);
    case 'connection.id':
    case 'connection_id':
      return prop.uint(c.connectionId);
    case 'upstream.address':
      return c.upstreamAddress;
    case 'upstream.port': {
      const p = c.upstreamAddress?.split(':').pop();
      return p ? prop.int(Number(p)) : undefined;
    }
    case 'xds.cluster_name':
    case 'cluster_name':
      return c.clusterName;
    default:
      return undefined;
  }
}

/** Stream attributes for an HTTP stream. */
export function httpProperty(path: string[], info: StreamInfo): PropertyValue | undefined {
  const key = path.length >= 2 ? `${path[0]}.${path[1]}` : path[0]!;
  const req = info.requestHeaders;
  switch (key) {
    case 'request.path':
      return header(req, ':path');
    case 'request.url_path': {
      const p = header(req, ':path');
      return p === undefined ? undefined : p.split('?')[0];
    }
    case 'request.query': {
      const p = header(req, ':path');
      if (p === undefined) return undefined;
      const i = p.indexOf('?');
      return i < 0 ? '' : p.slice(i + 1);
    }
    case 'request.host':
      return header(req, ':authority');
    case 'request.scheme':
      return header(req, ':scheme') ?? info.scheme;
    case 'request.method':
      return header(req, ':method');
    case 'request.headers':
      return headerMap(req, path[2]);
    case 'request.referer':
      return header(req, 'referer');
    case 'request.useragent':
      return header(req, 'user-agent');
    case 'request.id':
      return header(req, 'x-request-id') ?? info.requestId;
    case 'request.protocol':
      return info.protocol;
    case 'request.time':
      return prop.timestamp(ns(info.startTime));
    case 'request.duration':
      return info.endTime === undefined ? undefined : prop.duration(ns(info.endTime - info.startTime));
    case 'request.size': {
      // content-length when the client sent a usable one, else the body bytes received so far.
      const cl = Number(header(req, 'content-length'));
      return prop.int(Number.isFinite(cl) ? cl : info.requestBodyBytes);
    }
    case 'request.total_size': {
      let n = info.requestBodyBytes;
      for (const [k, v] of req ?? []) n += k.length + v.length;
      return prop.int(n);
    }
    case 'response.code':
      return info.responseCode === undefined ? undefined : prop.int(info.responseCode);
    case 'response.code_details':
      return info.responseCodeDetails;
    case 'response.flags':
      return prop.int(0);
    case 'response.grpc_status': {
      const s = header(info.responseTrailers, 'grpc-status') ?? header(info.responseHeaders, 'grpc-status');
      return s === undefined ? undefined : prop.int(Number(s));
    }
    case 'response.headers':
      return headerMap(info.responseHeaders, path[2]);
    case 'response.trailers':
      return headerMap(info.responseTrailers, path[2]);
    case 'response.size':
      return prop.int(info.responseBodyBytes);
    case 'response.total_size': {
      let n = info.responseBodyBytes;
      for (const [k, v] of info.responseHeaders ?? []) n += k.length + v.length;
      return prop.int(n);
    }
    case 'response.backend_latency':
      return info.upstreamResponseTime === undefined ? undefined : prop.duration(ns(info.upstreamResponseTime - info.startTime));
    case 'connection.mtls':
      return false;
    case 'connection.requested_server_name':
      return info.serverName ?? '';
    case 'connection.tls_version':
      return info.tls ? info.tlsVersion : undefined;
    case 'xds.route_name':
    case 'route_name':
      return info.routeName;
    case 'xds.listener_direction':
    case 'listener_direction':
      return prop.int(0);
    default:
      return connectionProperty(key, info);
  }
}

/** Stream attributes for an opaque TCP connection. */
export function tcpProperty(path: string[], info: ConnectionInfo): PropertyValue | undefined {
  const key = path.length >= 2 ? `${path[0]}.${path[1]}` : path[0]!;
  return connectionProperty(key, info);
}
