// Registered-claim checks (RFC 7519 §4.1) and required claims. Failures split into "token not
// valid" (401 invalid_token) and "valid token, not allowed" (403 insufficient_scope).
import { JsonValue } from '@remora/sdk/assembly/json';

export const CLAIMS_OK: i32 = 0;
/** 401: the token is not (or no longer / not yet) valid for this service. */
export const CLAIMS_INVALID: i32 = 1;
/** 403: the token is valid but lacks a required claim value. */
export const CLAIMS_FORBIDDEN: i32 = 2;

/** A claim that must be present; with values, one of them must match (see claimHasValue). */
export class RequiredClaim {
  name: string;
  values: string[];
  constructor(name: string, values: string[]) {
    this.name = name;
    this.values = values;
  }
}

export class ClaimRules {
  /** Accepted `iss` values; empty accepts any. */
  issuers: string[] = [];
  /** Accepted audiences; the token's `aud` (string or array) must contain one. Empty accepts any. */
  audiences: string[] = [];
  /** Tolerance applied to exp and nbf, in seconds. */
  clockSkewSeconds: f64 = 60;
  /** Refuse tokens without `exp`. */
  requireExpiration: bool = true;
  required: RequiredClaim[] = [];
}

export class ClaimsVerdict {
  code: i32 = CLAIMS_OK;
  reason: string = '';
}

function verdict(code: i32, reason: string): ClaimsVerdict {
  const v = new ClaimsVerdict();
  v.code = code;
  v.reason = reason;
  return v;
}

function contains(list: string[], value: string): bool {
  for (let i = 0; i < list.length; i++) if (list[i] == value) return true;
  return false;
}

/**
 * Whether claim `v` carries `want`: equal string, an array element equal to it, or one of the
 * space-separated words of a string (the OAuth `scope` convention); numbers and booleans compare
 * by their JSON text.
 */
export function claimHasValue(v: JsonValue, want: string): bool {
  if (v.isString) {
    const s = v.stringValue;
    if (s == want) return true;
    if (s.indexOf(' ') < 0) return false;
    const words = s.split(' ');
    return contains(words, want);
  }
  if (v.isArray) {
    for (let i = 0; i < v.length; i++) {
      const item = v.at(i)!;
      if (!item.isArray && claimHasValue(item, want)) return true;
    }
    return false;
  }
  if (v.isBool) return (v.boolValue ? 'true' : 'false') == want;
  if (v.isNumber) return claimToString(v) == want;
  return false;
}

/** A claim as a header value: strings as is, numbers and booleans as text, arrays comma-joined. */
export function claimToString(v: JsonValue): string {
  if (v.isString) return v.stringValue;
  if (v.isBool) return v.boolValue ? 'true' : 'false';
  if (v.isNumber) return v.isInteger ? v.intValue.toString() : v.numberValue.toString();
  if (v.isArray) {
    let out = '';
    for (let i = 0; i < v.length; i++) {
      const item = v.at(i)!;
      if (item.isArray || item.isObject || item.isNull) continue;
      if (out.length > 0) out += ',';
      out += claimToString(item);
    }
    return out;
  }
  return '';
}

/** Checks exp/nbf (with skew), iss, aud and required claims of `payload` at `nowSeconds`. */
export function checkClaims(payload: JsonValue, rules: ClaimRules, nowSeconds: f64): ClaimsVerdict {
  const exp = payload.get('exp');
  if (exp === null) {
    if (rules.requireExpiration) return verdict(CLAIMS_INVALID, 'token has no exp claim');
  } else {
    // A NumericDate is finite: `1e99999` parses to Infinity and would never expire.
    if (!exp.isNumber || !isFinite(exp.numberValue)) return verdict(CLAIMS_INVALID, 'exp claim is not a number');
    // Valid while now < exp (RFC 7519 §4.1.4), stretched by the skew.
    if (nowSeconds >= exp.numberValue + rules.clockSkewSeconds) return verdict(CLAIMS_INVALID, 'token expired');
  }
  const nbf = payload.get('nbf');
  if (nbf !== null) {
    if (!nbf.isNumber || !isFinite(nbf.numberValue)) return verdict(CLAIMS_INVALID, 'nbf claim is not a number');
    if (nowSeconds < nbf.numberValue - rules.clockSkewSeconds) return verdict(CLAIMS_INVALID, 'token not yet valid');
  }
  if (rules.issuers.length > 0) {
    const iss = payload.get('iss');
    if (iss === null || !iss.isString || !contains(rules.issuers, iss.stringValue)) {
      return verdict(CLAIMS_INVALID, 'token issuer not accepted');
    }
  }
  if (rules.audiences.length > 0) {
    const aud = payload.get('aud');
    let ok = false;
    if (aud !== null) {
      if (aud.isString) ok = contains(rules.audiences, aud.stringValue);
      else if (aud.isArray) {
        for (let i = 0; i < aud.length && !ok; i++) {
          const a = aud.at(i)!;
          if (a.isString && contains(rules.audiences, a.stringValue)) ok = true;
        }
      }
    }
    if (!ok) return verdict(CLAIMS_INVALID, 'token audience not accepted');
  }
  for (let i = 0; i < rules.required.length; i++) {
    const r = rules.required[i];
    const v = payload.get(r.name);
    if (v === null) return verdict(CLAIMS_FORBIDDEN, 'token lacks claim ' + r.name);
    if (r.values.length == 0) continue;
    let ok = false;
    for (let j = 0; j < r.values.length && !ok; j++) ok = claimHasValue(v, r.values[j]);
    if (!ok) return verdict(CLAIMS_FORBIDDEN, 'claim ' + r.name + ' has no accepted value');
  }
  return new ClaimsVerdict();
}
