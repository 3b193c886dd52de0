// Lower-cased header names from undici's raw response heads. undici already keeps a lookup tree of the
// well-known names (its own parser uses it), which returns the interned lower-case string straight from
// the Buffer: no `toString` + `toLowerCase` allocation for `content-type`, `date`, `server`... Loaded
// from undici's util module (already loaded by the Pool), like ./undici-pool.ts.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { bufferToLowerCasedHeaderName } = require('undici/lib/core/util.js') as {
  bufferToLowerCasedHeaderName(name: Buffer): string;
};

/** A raw header name (Buffer from undici, string from the h2 client) in lower case. */
export function lowerHeaderName(name: Buffer | string): string {
  return typeof name === 'string' ? name.toLowerCase() : bufferToLowerCasedHeaderName(name);
}
