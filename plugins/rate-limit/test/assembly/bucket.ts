// Test entry: token-bucket arithmetic and configuration parsing without a host. One bucket lives in
// this module; `step` advances it like the plugin does for one request.
import { Limit, BucketState, take, encodeState, decodeState } from '../../assembly/bucket';
import { parseRateLimitConfig, RateLimitConfig } from '../../assembly/config';

let limit: Limit = new Limit(1, 1, 1);
let state: BucketState | null = null;

export function reset(requestsPerUnit: f64, unitSeconds: f64, burst: f64): void {
  limit = new Limit(requestsPerUnit, unitSeconds, burst);
  state = null;
}

/** One request at `nowNs` (as f64 ms to stay in JS numbers); returns "allowed remaining reset retryAfter". */
export function step(nowMs: f64): string {
  const v = take(state, limit, <i64>(nowMs * 1e6));
  const next = v.next;
  // Round-trip through the shared-data encoding, as the plugin stores it.
  if (next !== null) state = decodeState(encodeState(next));
  return (v.allowed ? '1' : '0') + ' ' + v.remaining.toString() + ' ' + v.resetSeconds.toString() + ' ' + v.retryAfterSeconds.toString();
}

export function decodesGarbage(): bool {
  return decodeState(new ArrayBuffer(3)) === null && decodeState(new ArrayBuffer(16)) !== null;
}

let config: RateLimitConfig | null = null;

export function configure(text: string): string {
  const p = parseRateLimitConfig(text);
  config = p.config;
  return p.error;
}

/** "route burst requestsPerUnit unitSeconds" of the limit for `route`, or "none". */
export function limitFor(route: string): string {
  const l = config!.limitFor(route);
  if (l === null) return 'none';
  return l.route + ' ' + l.limit.burst.toString() + ' ' + l.limit.requestsPerUnit.toString() + ' ' + l.limit.unitSeconds.toString();
}

export function keyHeader(): string {
  return config!.keyBy.toString() + ' ' + config!.keyHeader;
}
