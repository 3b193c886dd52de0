// Test entry: the auth plugin's configuration parser and decision logic, without a host.
import { parseAuthConfig, AuthConfig } from '../../assembly/config';
import { decide } from '../../assembly/policy';
import { fakeRequest } from '../../../common/test/assembly/fake_request';

let config: AuthConfig | null = null;

/** Parses and keeps the config; returns "" or the error ("field: expectation"). */
export function configure(text: string): string {
  const p = parseAuthConfig(text);
  config = p.config;
  return p.error;
}

/**
 * `headers` is "name: value" lines. Returns lines: status, challenge, error, description, then one
 * line per edit: "-name" (remove) or "name: value" (set).
 */
export function decideFor(headers: string, path: string, nowSeconds: f64): string {
  const req = fakeRequest(headers, path);
  const d = decide(config!, req, nowSeconds);
  let out = d.status.toString() + '\n' + d.challenge + '\n' + d.error + '\n' + d.description;
  for (let i = 0; i < d.edits.length; i++) {
    const e = d.edits[i];
    const v = e.value;
    out += '\n' + (v === null ? '-' + e.name : e.name + ': ' + v);
  }
  return out;
}

/** How many JWT lookups the configured cache answered. */
export function cacheHits(): i32 {
  const jwt = config!.jwt;
  return jwt === null ? -1 : jwt.cache.hits;
}
