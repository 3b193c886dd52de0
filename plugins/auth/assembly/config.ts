// The auth plugin's configuration: JSON given as the plugin's `config`, parsed and checked once in
// onConfigure. Every field is described in ../README.md (JSON Schema there).
import { Json, JsonValue } from '@remora/sdk/assembly/json';
import { ClaimRules, RequiredClaim } from './jwt/claims';
import { KeySet, parseJwks } from './jwt/jwks';
import { VerifiedTokenCache } from './jwt/cache';
import { Sha256 } from './crypto/sha256';
import { unknownKey } from '../../common/assembly/config_fields';

/** Maps one claim to the request header it is forwarded in. */
export class ClaimHeader {
  claim: string;
  header: string;
  constructor(claim: string, header: string) {
    this.claim = claim;
    this.header = header;
  }
}

export class JwtConfig {
  keys: KeySet = new KeySet();
  rules: ClaimRules = new ClaimRules();
  /** Header carrying the token and the scheme prefix before it. */
  header: string = 'authorization';
  prefix: string = 'Bearer ';
  /** Query parameter also accepted as the token source ("" = none). */
  queryParam: string = '';
  forwardClaims: ClaimHeader[] = [];
  /** Keep the token header on the request sent upstream. */
  forwardToken: bool = true;
  /** Claim used as the caller's identity (identityHeader). */
  identityClaim: string = 'sub';
  /** Tokens with a verified signature (cacheSize entries; 0 = off). */
  cache: VerifiedTokenCache = new VerifiedTokenCache(DEFAULT_CACHE_SIZE);
}

/** Verified tokens kept per plugin, as Envoy's jwt_authn default. */
export const DEFAULT_CACHE_SIZE: i32 = 100;

export class ApiKey {
  /** SHA-256 of the key: plaintext keys are hashed at configure time, so lookups compare digests. */
  digest: StaticArray<u8>;
  name: string;
  constructor(digest: StaticArray<u8>, name: string) {
    this.digest = digest;
    this.name = name;
  }
}

export class ApiKeyConfig {
  header: string = 'x-api-key';
  queryParam: string = '';
  keys: ApiKey[] = [];
  /** Keep the key header on the upstream request. */
  forwardKey: bool = false;
}

export class ExternalConfig {
  cluster: string = '';
  /** Prepended to the request path in the check request (Envoy ext_authz `path_prefix`). */
  pathPrefix: string = '';
  /** :authority of the check request; default the cluster name. */
  authority: string = '';
  timeoutMs: u32 = 1000;
  /** Request headers copied to the check request. */
  requestHeaders: string[] = ['authorization', 'cookie', 'x-request-id'];
  /** Check-response headers copied onto the upstream request when access is granted. */
  upstreamHeaders: string[] = [];
  /** Check-response headers copied onto the client reply when access is denied. */
  clientHeaders: string[] = ['www-authenticate'];
  /** Reply status when the check call fails (no response, timeout). */
  statusOnError: u32 = 403;
}

export class AuthConfig {
  realm: string = 'remora';
  /** Request header set to the authenticated identity (removed from incoming requests first). */
  identityHeader: string = 'x-remora-identity';
  jwt: JwtConfig | null = null;
  apiKeys: ApiKeyConfig | null = null;
  external: ExternalConfig | null = null;
}

/** Result of parsing: the config, or the first problem found with its field path. */
export class ParsedConfig {
  config: AuthConfig | null = null;
  error: string = '';
}

function bad(field: string, expected: string): string {
  return field + ': ' + expected;
}

function hexDigest(hex: string): StaticArray<u8> | null {
  if (hex.length != 64) return null;
  const out = new StaticArray<u8>(32);
  for (let i = 0; i < 32; i++) {
    if (!isHex(hex.charCodeAt(i * 2)) || !isHex(hex.charCodeAt(i * 2 + 1))) return null;
    out[i] = <u8>I32.parseInt(hex.substr(i * 2, 2), 16);
  }
  return out;
}

function isHex(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

export function sha256OfString(s: string): StaticArray<u8> {
  const out = new StaticArray<u8>(32);
  const buf = String.UTF8.encode(s, false);
  new Sha256().updatePtr(changetype<usize>(buf), buf.byteLength).digestInto(changetype<usize>(out));
  return out;
}

/** A string member that must be non-empty when present. */
function optString(obj: JsonValue, key: string, fallback: string): string | null {
  const v = obj.get(key);
  if (v === null) return fallback;
  if (!v.isString || v.stringValue.length == 0) return null;
  return v.stringValue;
}

function stringList(v: JsonValue | null): string[] | null {
  if (v === null) return [];
  if (v.isString) return [v.stringValue];
  if (!v.isArray) return null;
  const out = new Array<string>();
  for (let i = 0; i < v.length; i++) {
    const item = v.at(i)!;
    if (!item.isString) return null;
    out.push(item.stringValue);
  }
  return out;
}

function lowerList(list: string[]): string[] {
  const out = new Array<string>();
  for (let i = 0; i < list.length; i++) out.push(list[i].toLowerCase());
  return out;
}

const KNOWN_TOP = ['realm', 'identityHeader', 'jwt', 'apiKeys', 'external'];
const KNOWN_JWT = ['jwks', 'issuers', 'audiences', 'clockSkewSeconds', 'requireExpiration', 'requiredClaims',
  'header', 'prefix', 'queryParam', 'forwardClaims', 'forwardToken', 'identityClaim', 'cacheSize'];
const KNOWN_KEYS = ['header', 'queryParam', 'keys', 'forwardKey'];
const KNOWN_EXT = ['cluster', 'pathPrefix', 'authority', 'timeoutMs', 'requestHeaders', 'upstreamHeaders',
  'clientHeaders', 'statusOnError'];

/** Fills `c` from `v`; returns the problem found, "" when none. */
function parseJwt(v: JsonValue, c: JwtConfig): string {
  if (!v.isObject) return bad('jwt', 'expected an object');
  const unknown = unknownKey(v, KNOWN_JWT);
  if (unknown.length > 0) return bad('jwt.' + unknown, 'unknown field');
  const jwks = v.get('jwks');
  if (jwks === null || !jwks.isObject) return bad('jwt.jwks', 'expected a JWKS object {"keys": [...]}');
  c.keys = parseJwks(jwks);
  if (c.keys.error.length > 0) return bad('jwt.' + c.keys.error.substring(0, c.keys.error.indexOf(':')),
    c.keys.error.substring(c.keys.error.indexOf(':') + 2));
  const issuers = stringList(v.get('issuers'));
  if (issuers === null) return bad('jwt.issuers', 'expected a string or an array of strings');
  c.rules.issuers = issuers;
  const audiences = stringList(v.get('audiences'));
  if (audiences === null) return bad('jwt.audiences', 'expected a string or an array of strings');
  c.rules.audiences = audiences;
  const skew = v.get('clockSkewSeconds');
  if (skew !== null) {
    if (!skew.isNumber || skew.numberValue < 0) return bad('jwt.clockSkewSeconds', 'expected a number >= 0');
    c.rules.clockSkewSeconds = skew.numberValue;
  }
  const reqExp = v.get('requireExpiration');
  if (reqExp !== null) {
    if (!reqExp.isBool) return bad('jwt.requireExpiration', 'expected a boolean');
    c.rules.requireExpiration = reqExp.boolValue;
  }
  const required = v.get('requiredClaims');
  if (required !== null) {
    if (!required.isObject) return bad('jwt.requiredClaims', 'expected an object {claim: value or [values]}');
    for (let i = 0; i < required.keys.length; i++) {
      const item = required.items[i];
      let values: string[] | null = null;
      if (item.isBool && item.boolValue) values = [];
      else values = stringList(item);
      if (values === null) {
        return bad('jwt.requiredClaims.' + required.keys[i], 'expected true, a string or an array of strings');
      }
      c.rules.required.push(new RequiredClaim(required.keys[i], values));
    }
  }
  const header = optString(v, 'header', c.header);
  if (header === null) return bad('jwt.header', 'expected a non-empty string');
  c.header = header.toLowerCase();
  const prefix = v.get('prefix');
  if (prefix !== null) {
    if (!prefix.isString) return bad('jwt.prefix', 'expected a string');
    c.prefix = prefix.stringValue;
  }
  const query = v.get('queryParam');
  if (query !== null) {
    if (!query.isString) return bad('jwt.queryParam', 'expected a string');
    c.queryParam = query.stringValue;
  }
  const fwd = v.get('forwardClaims');
  if (fwd !== null) {
    if (!fwd.isObject) return bad('jwt.forwardClaims', 'expected an object {claim: header}');
    for (let i = 0; i < fwd.keys.length; i++) {
      const h = fwd.items[i];
      if (!h.isString || h.stringValue.length == 0) return bad('jwt.forwardClaims.' + fwd.keys[i], 'expected a header name');
      c.forwardClaims.push(new ClaimHeader(fwd.keys[i], h.stringValue.toLowerCase()));
    }
  }
  const ft = v.get('forwardToken');
  if (ft !== null) {
    if (!ft.isBool) return bad('jwt.forwardToken', 'expected a boolean');
    c.forwardToken = ft.boolValue;
  }
  const cacheSize = v.get('cacheSize');
  if (cacheSize !== null) {
    if (!cacheSize.isNumber || !cacheSize.isInteger || cacheSize.intValue < 0 || cacheSize.intValue > 100000) {
      return bad('jwt.cacheSize', 'expected an integer from 0 to 100000');
    }
    c.cache = new VerifiedTokenCache(<i32>cacheSize.intValue);
  }
  const idc = optString(v, 'identityClaim', c.identityClaim);
  if (idc === null) return bad('jwt.identityClaim', 'expected a non-empty string');
  c.identityClaim = idc;
  return '';
}

/** Fills `c` from `v`; returns the problem found, "" when none. */
function parseApiKeys(v: JsonValue, c: ApiKeyConfig): string {
  if (!v.isObject) return bad('apiKeys', 'expected an object');
  const unknown = unknownKey(v, KNOWN_KEYS);
  if (unknown.length > 0) return bad('apiKeys.' + unknown, 'unknown field');
  const header = v.get('header');
  if (header !== null) {
    if (!header.isString) return bad('apiKeys.header', 'expected a string ("" disables the header)');
    c.header = header.stringValue.toLowerCase();
  }
  const query = v.get('queryParam');
  if (query !== null) {
    if (!query.isString) return bad('apiKeys.queryParam', 'expected a string');
    c.queryParam = query.stringValue;
  }
  if (c.header.length == 0 && c.queryParam.length == 0) return bad('apiKeys', 'needs a header or a queryParam');
  const keys = v.get('keys');
  if (keys === null || !keys.isArray || keys.length == 0) return bad('apiKeys.keys', 'expected a non-empty array');
  for (let i = 0; i < keys.length; i++) {
    const k = keys.at(i)!;
    const where = 'apiKeys.keys[' + i.toString() + ']';
    if (!k.isObject) return bad(where, 'expected an object {name, key | sha256}');
    const name = k.getString('name');
    if (name.length == 0) return bad(where + '.name', 'expected a non-empty string');
    const plain = k.get('key');
    const hashed = k.get('sha256');
    if (plain !== null && plain.isString && plain.stringValue.length > 0 && hashed === null) {
      c.keys.push(new ApiKey(sha256OfString(plain.stringValue), name));
    } else if (hashed !== null && hashed.isString && plain === null) {
      const d = hexDigest(hashed.stringValue);
      if (d === null) return bad(where + '.sha256', 'expected 64 hex digits');
      c.keys.push(new ApiKey(d, name));
    } else {
      return bad(where, 'expected exactly one of "key" (non-empty string) or "sha256" (hex digest)');
    }
  }
  const fk = v.get('forwardKey');
  if (fk !== null) {
    if (!fk.isBool) return bad('apiKeys.forwardKey', 'expected a boolean');
    c.forwardKey = fk.boolValue;
  }
  return '';
}

/** Fills `c` from `v`; returns the problem found, "" when none. */
function parseExternal(v: JsonValue, c: ExternalConfig): string {
  if (!v.isObject) return bad('external', 'expected an object');
  const unknown = unknownKey(v, KNOWN_EXT);
  if (unknown.length > 0) return bad('external.' + unknown, 'unknown field');
  const cluster = v.get('cluster');
  if (cluster === null || !cluster.isString || cluster.stringValue.length == 0) {
    return bad('external.cluster', 'expected the name of a cluster');
  }
  c.cluster = cluster.stringValue;
  c.authority = c.cluster;
  const pp = v.get('pathPrefix');
  if (pp !== null) {
    if (!pp.isString || (pp.stringValue.length > 0 && !pp.stringValue.startsWith('/'))) {
      return bad('external.pathPrefix', 'expected a path starting with /');
    }
    c.pathPrefix = pp.stringValue;
  }
  const auth = optString(v, 'authority', c.authority);
  if (auth === null) return bad('external.authority', 'expected a non-empty string');
  c.authority = auth;
  const t = v.get('timeoutMs');
  if (t !== null) {
    if (!t.isNumber || !t.isInteger || t.intValue < 1 || t.intValue > 600000) {
      return bad('external.timeoutMs', 'expected an integer from 1 to 600000');
    }
    c.timeoutMs = <u32>t.intValue;
  }
  const lists = ['requestHeaders', 'upstreamHeaders', 'clientHeaders'];
  for (let i = 0; i < lists.length; i++) {
    const raw = v.get(lists[i]);
    if (raw === null) continue;
    const list = stringList(raw);
    if (list === null || raw.isString) return bad('external.' + lists[i], 'expected an array of header names');
    if (i == 0) c.requestHeaders = lowerList(list);
    else if (i == 1) c.upstreamHeaders = lowerList(list);
    else c.clientHeaders = lowerList(list);
  }
  const soe = v.get('statusOnError');
  if (soe !== null) {
    if (!soe.isNumber || !soe.isInteger || soe.intValue < 400 || soe.intValue > 599) {
      return bad('external.statusOnError', 'expected an HTTP status from 400 to 599');
    }
    c.statusOnError = <u32>soe.intValue;
  }
  return '';
}

/** Parses the plugin configuration text; on failure `error` reads "<field path>: <expectation>". */
export function parseAuthConfig(text: string): ParsedConfig {
  const p = new ParsedConfig();
  const c = new AuthConfig();
  p.error = fillAuthConfig(text, c);
  if (p.error.length == 0) p.config = c;
  return p;
}

function fillAuthConfig(text: string, c: AuthConfig): string {
  const root = Json.parse(text);
  if (root === null) return bad('config', 'invalid JSON (' + Json.lastError + ')');
  if (!root.isObject) return bad('config', 'expected a JSON object');
  const unknown = unknownKey(root, KNOWN_TOP);
  if (unknown.length > 0) return bad(unknown, 'unknown field');
  const realm = root.get('realm');
  if (realm !== null) {
    // The realm goes inside a quoted-string in www-authenticate.
    if (!realm.isString || realm.stringValue.includes('"') || realm.stringValue.includes('\\')) {
      return bad('realm', 'expected a string without quotes or backslashes');
    }
    c.realm = realm.stringValue;
  }
  const idh = root.get('identityHeader');
  if (idh !== null) {
    if (!idh.isString || idh.stringValue.length == 0) return bad('identityHeader', 'expected a header name');
    c.identityHeader = idh.stringValue.toLowerCase();
  }
  const jwt = root.get('jwt');
  if (jwt !== null) {
    const section = new JwtConfig();
    const error = parseJwt(jwt, section);
    if (error.length > 0) return error;
    c.jwt = section;
  }
  const keys = root.get('apiKeys');
  if (keys !== null) {
    const section = new ApiKeyConfig();
    const error = parseApiKeys(keys, section);
    if (error.length > 0) return error;
    c.apiKeys = section;
  }
  const ext = root.get('external');
  if (ext !== null) {
    const section = new ExternalConfig();
    const error = parseExternal(ext, section);
    if (error.length > 0) return error;
    c.external = section;
  }
  if (c.jwt === null && c.apiKeys === null && c.external === null) {
    return bad('config', 'expected at least one of "jwt", "apiKeys", "external"');
  }
  return '';
}
