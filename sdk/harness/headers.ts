// Header conversions between what tests write (objects or pairs of JS strings) and what the abi/
// host carries (lower-case names, values as latin1 strings holding the raw bytes, like node's parser).

/** Headers as a test writes them: `{ 'x-a': '1' }` or `[['x-a', '1'], ['x-a', '2']]`. */
export type HeadersInit = Record<string, string> | Array<[string, string]>;

/** Raw pairs as the abi host stores them. */
export type RawPairs = Array<[string, string]>;

const toRaw = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const fromRaw = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

export function toRawPairs(init: HeadersInit | undefined): RawPairs {
  if (!init) return [];
  const entries = Array.isArray(init) ? init : Object.entries(init);
  return entries.map(([k, v]): [string, string] => [toRaw(k.toLowerCase()), toRaw(String(v))]);
}

export function fromRawPairs(raw: RawPairs | undefined): Array<[string, string]> {
  return (raw ?? []).map(([k, v]): [string, string] => [fromRaw(k), fromRaw(v)]);
}

/**
 * A read-only view of a header list for assertions: `get` (first value), `getAll`, `has`,
 * `toObject()` (repeated names comma-joined) and `pairs`.
 */
export class HeaderView {
  readonly pairs: Array<[string, string]>;

  constructor(pairs: Array<[string, string]>) {
    this.pairs = pairs;
  }

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    return this.pairs.find(([k]) => k === n)?.[1];
  }

  getAll(name: string): string[] {
    const n = name.toLowerCase();
    return this.pairs.filter(([k]) => k === n).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.pairs) out[k] = k in out ? `${out[k]},${v}` : v;
    return out;
  }
}

/** Body as a test gives it: text (UTF-8), bytes, or several chunks delivered one callback each. Empty = no body. */
export type BodyInit = string | Uint8Array | Array<string | Uint8Array>;

export function bodyChunks(init: BodyInit | undefined): Uint8Array[] {
  if (init === undefined) return [];
  const list = Array.isArray(init) ? init : [init];
  return list.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)).filter((c) => c.length > 0);
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return Buffer.concat([a, b]);
}
