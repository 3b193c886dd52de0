// Routing rules: ordered, each a list of conditions (all must hold) and the actions to apply when
// it is the first rule that matches. Parsed once from the configuration; matching reads each
// header, cookie or query parameter through RequestInfo only when a condition asks for it.
import { JsonValue } from '@remora/sdk/assembly/json';
import { RequestInfo } from '../../common/assembly/request_info';
import { cookieValue, pathOnly, queryParam } from '../../common/assembly/request_target';
import { unknownKey } from '../../common/assembly/config_fields';

export const SOURCE_HEADER: i32 = 0;
export const SOURCE_COOKIE: i32 = 1;
export const SOURCE_QUERY: i32 = 2;
export const SOURCE_PATH: i32 = 3;

export const MATCH_EXACT: i32 = 0;
export const MATCH_PREFIX: i32 = 1;
export const MATCH_PRESENT: i32 = 2;
export const MATCH_ABSENT: i32 = 3;

export class Condition {
  source: i32 = SOURCE_HEADER;
  /** Header / cookie / query parameter name ("" for the path). */
  name: string = '';
  kind: i32 = MATCH_PRESENT;
  value: string = '';

  matches(req: RequestInfo): bool {
    let actual: string | null = null;
    if (this.source == SOURCE_HEADER) actual = req.header(this.name);
    else if (this.source == SOURCE_COOKIE) {
      const cookies = req.header('cookie');
      if (cookies !== null) actual = cookieValue(cookies, this.name);
    } else if (this.source == SOURCE_QUERY) actual = queryParam(req.path(), this.name);
    else actual = pathOnly(req.path());
    if (this.kind == MATCH_ABSENT) return actual === null;
    if (actual === null) return false;
    if (this.kind == MATCH_PRESENT) return true;
    if (this.kind == MATCH_EXACT) return actual == this.value;
    return actual.startsWith(this.value);
  }
}

export class SetHeader {
  name: string;
  value: string;
  constructor(name: string, value: string) {
    this.name = name;
    this.value = value;
  }
}

export class Rule {
  name: string = '';
  when: Condition[] = [];
  /** Upstream cluster to select (written to the router's cluster header); "" = none. */
  cluster: string = '';
  setHeaders: SetHeader[] = [];
  /** Path prefix replacement: paths starting with rewriteFrom get it replaced by rewriteTo. */
  rewriteFrom: string = '';
  rewriteTo: string = '';
  /** New :authority; "" = unchanged. */
  host: string = '';

  matches(req: RequestInfo): bool {
    for (let i = 0; i < this.when.length; i++) if (!this.when[i].matches(req)) return false;
    return true;
  }
}

/** Index of the first matching rule, -1 when none matches. */
export function firstMatch(rules: Rule[], req: RequestInfo): i32 {
  for (let i = 0; i < rules.length; i++) if (rules[i].matches(req)) return i;
  return -1;
}

/** `path` with prefix `from` replaced by `to` (query kept), or null when it does not start with `from`. */
export function rewritePrefix(path: string, from: string, to: string): string | null {
  if (!path.startsWith(from)) return null;
  let rest = path.substring(from.length);
  // "/api" -> "/" applied to "/api/x" gives "//x": collapse the doubled slash at the seam.
  if (to.endsWith('/') && rest.startsWith('/')) rest = rest.substring(1);
  let out = to + rest;
  if (out.length == 0 || out.charCodeAt(0) == 0x3f) out = '/' + out;
  return out;
}

// ---- parsing ---------------------------------------------------------------------------------

const KNOWN_RULE = ['name', 'when', 'cluster', 'setHeaders', 'rewritePrefix', 'host'];
const KNOWN_COND = ['header', 'cookie', 'query', 'path', 'pathPrefix', 'exact', 'prefix', 'present'];

/** Parses one condition into `c`; returns "" or "<field>: <expectation>" relative to the condition. */
export function parseCondition(v: JsonValue, c: Condition): string {
  if (!v.isObject) return ': expected an object';
  const unknown = unknownKey(v, KNOWN_COND);
  if (unknown.length > 0) return '.' + unknown + ': unknown field';
  let sources = 0;
  const sourceKeys = ['header', 'cookie', 'query'];
  for (let i = 0; i < sourceKeys.length; i++) {
    const s = v.get(sourceKeys[i]);
    if (s === null) continue;
    sources++;
    if (!s.isString || s.stringValue.length == 0) return '.' + sourceKeys[i] + ': expected a non-empty name';
    c.source = i;
    c.name = i == SOURCE_HEADER ? s.stringValue.toLowerCase() : s.stringValue;
  }
  const path = v.get('path');
  const pathPrefix = v.get('pathPrefix');
  if (path !== null || pathPrefix !== null) {
    sources++;
    const p = path !== null ? path : pathPrefix!;
    if (!p.isString || !p.stringValue.startsWith('/')) return (path !== null ? '.path' : '.pathPrefix') + ': expected a path starting with /';
    c.source = SOURCE_PATH;
    c.kind = path !== null ? MATCH_EXACT : MATCH_PREFIX;
    c.value = p.stringValue;
    if (path !== null && pathPrefix !== null) return ': expected one of path, pathPrefix';
  }
  if (sources != 1) return ': expected exactly one of header, cookie, query, path, pathPrefix';
  if (c.source == SOURCE_PATH) {
    if (v.has('exact') || v.has('prefix') || v.has('present')) return ': path conditions take no exact/prefix/present';
    return '';
  }
  let matchers = 0;
  const exact = v.get('exact');
  if (exact !== null) {
    if (!exact.isString) return '.exact: expected a string';
    c.kind = MATCH_EXACT;
    c.value = exact.stringValue;
    matchers++;
  }
  const prefix = v.get('prefix');
  if (prefix !== null) {
    if (!prefix.isString) return '.prefix: expected a string';
    c.kind = MATCH_PREFIX;
    c.value = prefix.stringValue;
    matchers++;
  }
  const present = v.get('present');
  if (present !== null) {
    if (!present.isBool) return '.present: expected a boolean';
    c.kind = present.boolValue ? MATCH_PRESENT : MATCH_ABSENT;
    matchers++;
  }
  if (matchers > 1) return ': expected at most one of exact, prefix, present';
  return '';
}

/** Header names a rule may not set: pseudo-headers have their own actions, hop-by-hop ones are stripped. */
function settable(name: string): bool {
  return !name.startsWith(':') && name != 'host' && name != 'connection' && name != 'transfer-encoding' && name != 'content-length';
}

/** Parses one rule into `r`; returns "" or "<field>: <expectation>" relative to the rule. */
export function parseRule(v: JsonValue, r: Rule): string {
  if (!v.isObject) return ': expected an object';
  const unknown = unknownKey(v, KNOWN_RULE);
  if (unknown.length > 0) return '.' + unknown + ': unknown field';
  const name = v.get('name');
  if (name !== null) {
    if (!name.isString) return '.name: expected a string';
    r.name = name.stringValue;
  }
  const when = v.get('when');
  if (when !== null) {
    if (!when.isArray) return '.when: expected an array of conditions';
    for (let i = 0; i < when.length; i++) {
      const c = new Condition();
      const err = parseCondition(when.at(i)!, c);
      if (err.length > 0) return '.when[' + i.toString() + ']' + err;
      r.when.push(c);
    }
  }
  const cluster = v.get('cluster');
  if (cluster !== null) {
    if (!cluster.isString || cluster.stringValue.length == 0) return '.cluster: expected a cluster name';
    r.cluster = cluster.stringValue;
  }
  const set = v.get('setHeaders');
  if (set !== null) {
    if (!set.isObject) return '.setHeaders: expected an object {name: value}';
    for (let i = 0; i < set.keys.length; i++) {
      const hn = set.keys[i].toLowerCase();
      const hv = set.items[i];
      if (!hv.isString) return '.setHeaders.' + set.keys[i] + ': expected a string';
      if (hn.length == 0 || !settable(hn)) return '.setHeaders.' + set.keys[i] + ': this header cannot be set (use host / rewritePrefix)';
      r.setHeaders.push(new SetHeader(hn, hv.stringValue));
    }
  }
  const rw = v.get('rewritePrefix');
  if (rw !== null) {
    if (!rw.isObject) return '.rewritePrefix: expected an object {from, to}';
    const from = rw.get('from');
    const to = rw.get('to');
    if (from === null || !from.isString || !from.stringValue.startsWith('/')) return '.rewritePrefix.from: expected a path starting with /';
    if (to === null || !to.isString || (to.stringValue.length > 0 && !to.stringValue.startsWith('/'))) {
      return '.rewritePrefix.to: expected a path starting with / (or "")';
    }
    r.rewriteFrom = from.stringValue;
    r.rewriteTo = to.stringValue;
  }
  const host = v.get('host');
  if (host !== null) {
    if (!host.isString || host.stringValue.length == 0) return '.host: expected a host[:port]';
    r.host = host.stringValue;
  }
  if (r.cluster.length == 0 && r.setHeaders.length == 0 && r.rewriteFrom.length == 0 && r.host.length == 0) {
    return ': expected at least one action (cluster, setHeaders, rewritePrefix, host)';
  }
  return '';
}
