// The auth decision for one request, computed from the request's headers and path only (no host
// calls), so it is unit-testable and the plugin entry stays a thin adapter.
//
// Order: an API key, when one is presented, must be valid; else a JWT, when one is presented, must be
// valid. With no credential at all the request is refused (401), unless an external check is
// configured, which then decides; it also runs after a valid local credential.
import { AuthConfig, ApiKeyConfig, JwtConfig } from './config';
import { parseJwt, verifyJwtSignature, Jwt } from './jwt/token';
import { checkClaims, claimToString, CLAIMS_OK, CLAIMS_FORBIDDEN } from './jwt/claims';
import { constantTimeEqual } from './crypto/hmac';
import { sha256OfString } from './config';
import { queryParam } from '../../common/assembly/request_target';
import { RequestInfo } from '../../common/assembly/request_info';

export { RequestInfo };

/** A change to the request before it goes upstream; a null value removes the header. */
export class HeaderEdit {
  name: string;
  value: string | null;
  constructor(name: string, value: string | null) {
    this.name = name;
    this.value = value;
  }
}

export const ALLOW: u32 = 0;
/** Local checks passed (or found no credential): ask the external service. */
export const ASK_EXTERNAL: u32 = 1;

export class AuthDecision {
  /** ALLOW, ASK_EXTERNAL, 401 or 403. */
  status: u32 = ALLOW;
  /** `www-authenticate` value for a 401/403. */
  challenge: string = '';
  /** OAuth error code (invalid_token, insufficient_scope) or "" when the credential was missing. */
  error: string = '';
  /** Human-readable reason, also logged. */
  description: string = '';
  /** Request edits to apply when allowed (removals of spoofable headers come first). */
  edits: HeaderEdit[] = [];
}

/** Keeps text safe inside a quoted-string of www-authenticate (the reason may quote attacker input). */
function quoteSafe(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c == 0x22 || c == 0x5c) continue;
    out += String.fromCharCode(c);
  }
  return out;
}

/** Claim text as a header value: control characters dropped (a header cannot carry them). */
function headerSafe(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || c == 0x7f) {
      let out = '';
      for (let j = 0; j < s.length; j++) {
        const d = s.charCodeAt(j);
        if ((d >= 0x20 || d == 0x09) && d != 0x7f) out += String.fromCharCode(d);
      }
      return out;
    }
  }
  return s;
}

function challenge(cfg: AuthConfig, error: string, description: string): string {
  const scheme = cfg.jwt !== null || cfg.apiKeys === null ? 'Bearer' : 'ApiKey';
  let v = scheme + ' realm="' + cfg.realm + '"';
  if (error.length > 0) {
    v += ', error="' + error + '"';
    if (description.length > 0) v += ', error_description="' + quoteSafe(description) + '"';
  }
  return v;
}

function refuse(d: AuthDecision, cfg: AuthConfig, status: u32, error: string, description: string): AuthDecision {
  d.status = status;
  d.error = error;
  d.description = description;
  d.challenge = challenge(cfg, error, description);
  return d;
}

/** Removes, before anything is added, every header a client could use to impersonate the result. */
function scrubSpoofable(d: AuthDecision, cfg: AuthConfig): void {
  d.edits.push(new HeaderEdit(cfg.identityHeader, null));
  const jwt = cfg.jwt;
  if (jwt !== null) {
    for (let i = 0; i < jwt.forwardClaims.length; i++) d.edits.push(new HeaderEdit(jwt.forwardClaims[i].header, null));
  }
}

function presentedApiKey(keys: ApiKeyConfig, req: RequestInfo): string | null {
  if (keys.header.length > 0) {
    const v = req.header(keys.header);
    if (v !== null && v.length > 0) return v;
  }
  if (keys.queryParam.length > 0) {
    const v = queryParam(req.path(), keys.queryParam);
    if (v !== null && v.length > 0) return v;
  }
  return null;
}

function presentedToken(jwt: JwtConfig, req: RequestInfo): string | null {
  const h = req.header(jwt.header);
  if (h !== null) {
    const p = jwt.prefix;
    // The auth scheme is case-insensitive (RFC 7235 §2.1).
    if (h.length > p.length && h.substring(0, p.length).toLowerCase() == p.toLowerCase()) {
      return h.substring(p.length).trim();
    }
  }
  if (jwt.queryParam.length > 0) {
    const v = queryParam(req.path(), jwt.queryParam);
    if (v !== null && v.length > 0) return v;
  }
  return null;
}

/** Index of the configured API key equal to `presented`, -1 when none (every key compared). */
function matchApiKey(keys: ApiKeyConfig, presented: string): i32 {
  const digest = sha256OfString(presented);
  let found = -1;
  for (let i = 0; i < keys.keys.length; i++) {
    if (constantTimeEqual(changetype<usize>(digest), changetype<usize>(keys.keys[i].digest), 32)) found = i;
  }
  return found;
}

/** Decides locally; `nowSeconds` is the wall clock (JWT exp/nbf). */
export function decide(cfg: AuthConfig, req: RequestInfo, nowSeconds: f64): AuthDecision {
  const d = new AuthDecision();
  scrubSpoofable(d, cfg);
  const afterLocal = cfg.external !== null ? ASK_EXTERNAL : ALLOW;

  const keys = cfg.apiKeys;
  if (keys !== null) {
    const presented = presentedApiKey(keys, req);
    if (presented !== null) {
      const index = matchApiKey(keys, presented);
      if (index < 0) return refuse(d, cfg, 401, 'invalid_token', 'unknown API key');
      if (!keys.forwardKey && keys.header.length > 0) d.edits.push(new HeaderEdit(keys.header, null));
      d.edits.push(new HeaderEdit(cfg.identityHeader, keys.keys[index].name));
      d.status = afterLocal;
      return d;
    }
  }

  const jwt = cfg.jwt;
  if (jwt !== null) {
    const token = presentedToken(jwt, req);
    if (token !== null) {
      let parsed = jwt.cache.get(token);
      if (parsed === null) {
        parsed = parseJwt(token);
        if (parsed === null) return refuse(d, cfg, 401, 'invalid_token', Jwt.lastError);
        if (!verifyJwtSignature(token, parsed, jwt.keys)) return refuse(d, cfg, 401, 'invalid_token', 'token signature is invalid');
        jwt.cache.put(token, parsed);
      }
      const verdict = checkClaims(parsed.payload, jwt.rules, nowSeconds);
      if (verdict.code == CLAIMS_FORBIDDEN) return refuse(d, cfg, 403, 'insufficient_scope', verdict.reason);
      if (verdict.code != CLAIMS_OK) return refuse(d, cfg, 401, 'invalid_token', verdict.reason);
      if (!jwt.forwardToken) d.edits.push(new HeaderEdit(jwt.header, null));
      const identity = parsed.payload.get(jwt.identityClaim);
      if (identity !== null) {
        const id = headerSafe(claimToString(identity));
        if (id.length > 0) d.edits.push(new HeaderEdit(cfg.identityHeader, id));
      }
      for (let i = 0; i < jwt.forwardClaims.length; i++) {
        const fc = jwt.forwardClaims[i];
        const v = parsed.payload.get(fc.claim);
        if (v === null) continue;
        const text = headerSafe(claimToString(v));
        if (text.length > 0) d.edits.push(new HeaderEdit(fc.header, text));
      }
      d.status = afterLocal;
      return d;
    }
  }

  if (cfg.external !== null) {
    d.status = ASK_EXTERNAL;
    return d;
  }
  return refuse(d, cfg, 401, '', 'no credentials');
}
