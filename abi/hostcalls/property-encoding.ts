// Envoy's binary encodings of property values (reference §4.4): what `proxy_get_property` returns.

import { serializePairs } from '../memory/pairs.ts';

/**
 * A property value the proxy hands to the host. Strings and bytes are returned raw; the tagged forms
 * select Envoy's fixed-width encodings.
 */
export type PropertyValue =
  | string
  | Uint8Array
  | boolean
  | { type: 'int'; value: number | bigint }
  | { type: 'uint'; value: number | bigint }
  | { type: 'double'; value: number }
  | { type: 'duration'; ns: number | bigint }
  | { type: 'timestamp'; ns: number | bigint }
  | { type: 'map'; value: Array<[string, string]> }
  | { type: 'list'; value: string[] };

/** Small constructors so embedders write `prop.int(200)`. */
export const prop = {
  int: (value: number | bigint): PropertyValue => ({ type: 'int', value }),
  uint: (value: number | bigint): PropertyValue => ({ type: 'uint', value }),
  double: (value: number): PropertyValue => ({ type: 'double', value }),
  duration: (ns: number | bigint): PropertyValue => ({ type: 'duration', ns }),
  timestamp: (ns: number | bigint): PropertyValue => ({ type: 'timestamp', ns }),
  map: (value: Array<[string, string]>): PropertyValue => ({ type: 'map', value }),
  list: (value: string[]): PropertyValue => ({ type: 'list', value }),
};

function int64(v: number | bigint, signed: boolean): Uint8Array {
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  const b = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
  if (signed) dv.setBigInt64(0, b, true);
  else dv.setBigUint64(0, BigInt.asUintN(64, b), true);
  return out;
}

/** Encodes a property value as Envoy does. */
export function encodeProperty(v: PropertyValue): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'boolean') return Uint8Array.of(v ? 1 : 0);
  switch (v.type) {
    case 'int':
      return int64(v.value, true);
    case 'uint':
      return int64(v.value, false);
    case 'double': {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setFloat64(0, v.value, true);
      return out;
    }
    case 'duration':
    case 'timestamp':
      return int64(v.ns, true);
    case 'map':
      return serializePairs(v.value, 'utf8');
    case 'list':
      return serializePairs(v.value.map((e): [string, string] => [e, '']), 'utf8');
  }
}
