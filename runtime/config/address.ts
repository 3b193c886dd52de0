// `host:port` addresses for listeners, the admin server and cluster endpoints.
// IPv6 hosts are bracketed: `[::1]:4140`.
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

export const ADDRESS_EXPECTED = 'host:port like 127.0.0.1:4140, [::1]:4140 or app.svc:8080';

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;

/** Splits and checks `host:port`; undefined when malformed or the port is out of range. */
export function parseAddress(text: string): HostPort | undefined {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return undefined;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (isIP(host) !== 6) return undefined;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return undefined; // bare IPv6 needs brackets
    if (isIP(host) === 0 && !HOSTNAME.test(host)) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

/** `host:port` with IPv6 hosts bracketed. */
export function formatAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
