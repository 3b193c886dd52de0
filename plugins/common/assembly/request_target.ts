// Pieces of an HTTP request the first-party plugins match on: the path without its query, one
// query parameter, one cookie. Shared by header-router and auth; no host calls, so unit-testable.

/** `:path` up to (excluding) '?' or '#'. */
export function pathOnly(path: string): string {
  let end = path.indexOf('?');
  const hash = path.indexOf('#');
  if (hash >= 0 && (end < 0 || hash < end)) end = hash;
  return end < 0 ? path : path.substring(0, end);
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Decodes application/x-www-form-urlencoded text: '+' is a space, %XX a byte; bytes are then read as
 * UTF-8. A malformed escape is kept literally (as browsers do).
 */
export function formDecode(s: string, start: i32, end: i32): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x25 || c == 0x2b) {
      plain = false;
      break;
    }
  }
  if (plain) return s.substring(start, end);
  const raw = String.UTF8.encode(s.substring(start, end), false);
  const src = Uint8Array.wrap(raw);
  const out = new Uint8Array(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const c = <i32>src[i];
    if (c == 0x2b) {
      out[o++] = 0x20;
    } else if (c == 0x25 && i + 2 < src.length && hexValue(<i32>src[i + 1]) >= 0 && hexValue(<i32>src[i + 2]) >= 0) {
      out[o++] = <u8>((hexValue(<i32>src[i + 1]) << 4) | hexValue(<i32>src[i + 2]));
      i += 2;
    } else {
      out[o++] = <u8>c;
    }
  }
  return String.UTF8.decode(out.buffer.slice(0, o));
}

/** First value of query parameter `name` in `:path` (decoded), or null when absent. */
export function queryParam(path: string, name: string): string | null {
  const q = path.indexOf('?');
  if (q < 0) return null;
  let end = path.indexOf('#', q + 1);
  if (end < 0) end = path.length;
  let i = q + 1;
  while (i <= end) {
    let amp = path.indexOf('&', i);
    if (amp < 0 || amp > end) amp = end;
    if (amp > i) {
      let eq = path.indexOf('=', i);
      if (eq < 0 || eq > amp) eq = amp;
      if (formDecode(path, i, eq) == name) {
        return eq < amp ? formDecode(path, eq + 1, amp) : '';
      }
    }
    i = amp + 1;
  }
  return null;
}

/** Value of cookie `name` in a `cookie` header ("a=1; b=2"), surrounding quotes removed; null when absent. */
export function cookieValue(header: string, name: string): string | null {
  let i = 0;
  const n = header.length;
  while (i < n) {
    let semi = header.indexOf(';', i);
    if (semi < 0) semi = n;
    let s = i;
    while (s < semi && header.charCodeAt(s) == 0x20) s++;
    const eq = header.indexOf('=', s);
    if (eq > s && eq < semi) {
      let ke = eq;
      while (ke > s && header.charCodeAt(ke - 1) == 0x20) ke--;
      if (ke - s == name.length && header.substring(s, ke) == name) {
        let vs = eq + 1;
        let ve = semi;
        while (vs < ve && header.charCodeAt(vs) == 0x20) vs++;
        while (ve > vs && header.charCodeAt(ve - 1) == 0x20) ve--;
        if (ve - vs >= 2 && header.charCodeAt(vs) == 0x22 && header.charCodeAt(ve - 1) == 0x22) {
          vs++;
          ve--;
        }
        return header.substring(vs, ve);
      }
    }
    i = semi + 1;
  }
  return null;
}

/** Client IP from `source.address` ("10.0.0.1:5321", "[::1]:5321", or a bare address). */
export function addressWithoutPort(address: string): string {
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    return close > 0 ? address.substring(1, close) : address;
  }
  const colon = address.indexOf(':');
  // More than one colon without brackets: a bare IPv6 address, no port.
  if (colon >= 0 && address.indexOf(':', colon + 1) < 0) return address.substring(0, colon);
  return address;
}
