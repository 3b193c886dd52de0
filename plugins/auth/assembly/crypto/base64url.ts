// base64url decoding (RFC 4648 §5) for JWT segments and JWK members. Padding is optional
// (JWS forbids it, some JWKS publishers add it); any other character outside the alphabet
// makes the input invalid.

// @ts-ignore: decorator
@lazy const INVALID: u8 = 0xff;

// Maps an ASCII code to its 6-bit value, INVALID otherwise; '+' and '/' are refused (that is base64, not base64url).
// @ts-ignore: decorator
@lazy const TABLE: StaticArray<u8> = buildTable();

function buildTable(): StaticArray<u8> {
  const t = new StaticArray<u8>(256);
  for (let i = 0; i < 256; i++) unchecked((t[i] = INVALID));
  for (let i = 0; i < 26; i++) {
    unchecked((t[65 + i] = <u8>i));
    unchecked((t[97 + i] = <u8>(26 + i)));
  }
  for (let i = 0; i < 10; i++) unchecked((t[48 + i] = <u8>(52 + i)));
  unchecked((t[45] = 62)); // '-'
  unchecked((t[95] = 63)); // '_'
  return t;
}

/**
 * Decodes base64url text held as UTF-16 in `s` between [start, end). Returns null when the text
 * is not valid base64url (bad character, impossible length, non-zero trailing bits).
 */
export function base64UrlDecodeRange(s: string, start: i32, end: i32): Uint8Array | null {
  // Strip up to two '=' of padding.
  let stop = end;
  if (stop > start && s.charCodeAt(stop - 1) == 61) stop--;
  if (stop > start && s.charCodeAt(stop - 1) == 61) stop--;
  const n = stop - start;
  if ((n & 3) == 1) return null;
  if (stop != end && ((end - start) & 3) != 0) return null; // padded input must be whole quads
  const outLen = (n >> 2) * 3 + ((n & 3) == 0 ? 0 : (n & 3) - 1);
  const out = new Uint8Array(outLen);
  const table = changetype<usize>(TABLE);
  const base = changetype<usize>(s);
  let acc: u32 = 0;
  let bits: u32 = 0;
  let o = 0;
  for (let i = start; i < stop; i++) {
    const c = <u32>load<u16>(base + (<usize>i << 1));
    if (c > 255) return null;
    const v = load<u8>(table + <usize>c);
    if (v == INVALID) return null;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      unchecked((out[o++] = <u8>(acc >> bits)));
      acc &= (1 << bits) - 1;
    }
  }
  // Leftover bits must be zero so that every byte string has exactly one encoding.
  if (acc != 0) return null;
  return out;
}

export function base64UrlDecode(s: string): Uint8Array | null {
  return base64UrlDecodeRange(s, 0, s.length);
}
