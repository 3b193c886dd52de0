// The rate-limit plugin's configuration (JSON, parsed once in onConfigure). Every field is
// described in ../README.md (JSON Schema there).
import { Json, JsonValue } from '@remora/sdk/assembly/json';
import { Limit } from './bucket';
import { unknownKey } from '../../common/assembly/config_fields';

export const KEY_ADDRESS: i32 = 0;
export const KEY_HEADER: i32 = 1;
export const KEY_IDENTITY: i32 = 2;

export class RouteLimit {
  route: string;
  limit: Limit;
  constructor(route: string, limit: Limit) {
    this.route = route;
    this.limit = limit;
  }
}

export class RateLimitConfig {
  keyBy: i32 = KEY_ADDRESS;
  /** Header read for keyBy header / identity. */
  keyHeader: string = '';
  routes: RouteLimit[] = [];
  /** Add ratelimit-* headers to allowed responses too. */
  responseHeaders: bool = true;
  /** Namespace of the bucket keys in shared data. */
  keyPrefix: string = 'ratelimit';

  /** The limit for `route` and the bucket namespace it uses, or null when the route is not limited. */
  limitFor(route: string): RouteLimit | null {
    for (let i = 0; i < this.routes.length; i++) if (this.routes[i].route == route) return this.routes[i];
    return this.defaultLimit;
  }
  /** Limit for routes not listed in `routes` (bucket namespace ""); null = those are not limited. */
  defaultLimit: RouteLimit | null = null;
}

export class ParsedConfig {
  config: RateLimitConfig | null = null;
  error: string = '';
}

const UNITS = ['second', 'minute', 'hour', 'day'];
const UNIT_SECONDS: f64[] = [1, 60, 3600, 86400];
const KNOWN_TOP = ['keyBy', 'keyHeader', 'limit', 'routes', 'responseHeaders', 'keyPrefix'];
const KNOWN_LIMIT = ['requestsPerUnit', 'unit', 'burst'];

/** Parses one limit object; returns null with the problem in `errorOut[0]`. */
function parseLimit(v: JsonValue, path: string, errorOut: string[]): Limit | null {
  if (!v.isObject) {
    errorOut[0] = path + ': expected an object {requestsPerUnit, unit, burst}';
    return null;
  }
  const unknown = unknownKey(v, KNOWN_LIMIT);
  if (unknown.length > 0) {
    errorOut[0] = path + '.' + unknown + ': unknown field';
    return null;
  }
  const rpu = v.get('requestsPerUnit');
  if (rpu === null || !rpu.isNumber || !rpu.isInteger || rpu.intValue < 1 || rpu.intValue > 1000000000) {
    errorOut[0] = path + '.requestsPerUnit: expected an integer from 1 to 1e9';
    return null;
  }
  const unitName = v.getString('unit', 'second');
  const unitIndex = UNITS.indexOf(unitName);
  if (unitIndex < 0) {
    errorOut[0] = path + '.unit: expected one of second, minute, hour, day';
    return null;
  }
  let burst = <f64>rpu.intValue;
  const b = v.get('burst');
  if (b !== null) {
    if (!b.isNumber || !b.isInteger || b.intValue < 1 || b.intValue > 1000000000) {
      errorOut[0] = path + '.burst: expected an integer from 1 to 1e9';
      return null;
    }
    burst = <f64>b.intValue;
  }
  return new Limit(<f64>rpu.intValue, UNIT_SECONDS[unitIndex], burst);
}

function bad(message: string): ParsedConfig {
  const p = new ParsedConfig();
  p.error = message;
  return p;
}

/** Parses the plugin configuration; on failure `error` reads "<field path>: <expectation>". */
export function parseRateLimitConfig(text: string): ParsedConfig {
  const root = Json.parse(text.length == 0 ? '{}' : text);
  if (root === null) return bad('config: invalid JSON (' + Json.lastError + ')');
  if (!root.isObject) return bad('config: expected a JSON object');
  const unknown = unknownKey(root, KNOWN_TOP);
  if (unknown.length > 0) return bad(unknown + ': unknown field');
  const c = new RateLimitConfig();
  const keyBy = root.getString('keyBy', 'address');
  if (keyBy == 'address') c.keyBy = KEY_ADDRESS;
  else if (keyBy == 'header') c.keyBy = KEY_HEADER;
  else if (keyBy == 'identity') {
    c.keyBy = KEY_IDENTITY;
    c.keyHeader = 'x-remora-identity';
  } else return bad('keyBy: expected one of address, header, identity');
  const kh = root.get('keyHeader');
  if (kh !== null) {
    if (!kh.isString || kh.stringValue.length == 0) return bad('keyHeader: expected a header name');
    c.keyHeader = kh.stringValue.toLowerCase();
  }
  if (c.keyBy == KEY_HEADER && c.keyHeader.length == 0) return bad('keyHeader: required when keyBy is header');
  const err = [''];
  const limit = root.get('limit');
  if (limit !== null) {
    const l = parseLimit(limit, 'limit', err);
    if (l === null) return bad(err[0]);
    c.defaultLimit = new RouteLimit('', l);
  }
  const routes = root.get('routes');
  if (routes !== null) {
    if (!routes.isObject) return bad('routes: expected an object {routeName: limit}');
    for (let i = 0; i < routes.keys.length; i++) {
      const name = routes.keys[i];
      const l = parseLimit(routes.items[i], 'routes.' + name, err);
      if (l === null) return bad(err[0]);
      c.routes.push(new RouteLimit(name, l));
    }
  }
  if (c.defaultLimit === null && c.routes.length == 0) return bad('config: expected "limit" or "routes"');
  const rh = root.get('responseHeaders');
  if (rh !== null) {
    if (!rh.isBool) return bad('responseHeaders: expected a boolean');
    c.responseHeaders = rh.boolValue;
  }
  const kp = root.get('keyPrefix');
  if (kp !== null) {
    if (!kp.isString || kp.stringValue.length == 0) return bad('keyPrefix: expected a non-empty string');
    c.keyPrefix = kp.stringValue;
  }
  const p = new ParsedConfig();
  p.config = c;
  return p;
}
