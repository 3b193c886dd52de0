// Token bucket arithmetic. State is two numbers (tokens left, time of the last update) kept in
// shared data as 16 bytes, so every VM with the same vmId reads and updates one bucket per key.
// Refill is computed from elapsed time at each request: no timer, nothing to do for idle keys.

/** A limit: `requestsPerUnit` tokens added per `unitSeconds`, at most `burst` stored. */
export class Limit {
  requestsPerUnit: f64;
  unitSeconds: f64;
  burst: f64;
  /** The unit in nanoseconds: refill is elapsed * requestsPerUnit / unitNs, exact for whole units. */
  unitNs: f64;

  constructor(requestsPerUnit: f64, unitSeconds: f64, burst: f64) {
    this.requestsPerUnit = requestsPerUnit;
    this.unitSeconds = unitSeconds;
    this.burst = burst;
    this.unitNs = unitSeconds * 1e9;
  }

  /** Seconds for the bucket to gain `tokens`. */
  secondsFor(tokens: f64): f64 {
    return tokens * this.unitSeconds / this.requestsPerUnit;
  }
}

export class BucketState {
  tokens: f64;
  lastNs: i64;
  constructor(tokens: f64, lastNs: i64) {
    this.tokens = tokens;
    this.lastNs = lastNs;
  }
}

export const STATE_BYTES: i32 = 16;

export function encodeState(s: BucketState): ArrayBuffer {
  const buf = new ArrayBuffer(STATE_BYTES);
  store<f64>(changetype<usize>(buf), s.tokens);
  store<i64>(changetype<usize>(buf), s.lastNs, 8);
  return buf;
}

/** null when the bytes are not a bucket (another writer used the key): the caller starts afresh. */
export function decodeState(buf: ArrayBuffer): BucketState | null {
  if (buf.byteLength != STATE_BYTES) return null;
  const tokens = load<f64>(changetype<usize>(buf));
  if (!isFinite(tokens) || tokens < 0) return null;
  return new BucketState(tokens, load<i64>(changetype<usize>(buf), 8));
}

export class Verdict {
  allowed: bool = false;
  /** Whole tokens left after this request. */
  remaining: i32 = 0;
  /** Seconds until the bucket is full again (ratelimit-reset). */
  resetSeconds: i32 = 0;
  /** Seconds until one token is available (retry-after); 0 when allowed. */
  retryAfterSeconds: i32 = 0;
  /** State to store; null when nothing changed (a refused request writes nothing). */
  next: BucketState | null = null;
}

/** Takes one token from the bucket `state` (null = new key, starts full) at time `nowNs`. */
export function take(state: BucketState | null, limit: Limit, nowNs: i64): Verdict {
  let tokens = limit.burst;
  let last = nowNs;
  if (state !== null) {
    // A clock step backwards refills nothing and keeps the later timestamp.
    const elapsed = nowNs > state.lastNs ? nowNs - state.lastNs : 0;
    tokens = min(limit.burst, state.tokens + <f64>elapsed * limit.requestsPerUnit / limit.unitNs);
    last = nowNs > state.lastNs ? nowNs : state.lastNs;
  }
  const v = new Verdict();
  if (tokens >= 1) {
    tokens -= 1;
    v.allowed = true;
    v.next = new BucketState(tokens, last);
  } else {
    v.retryAfterSeconds = max(1, <i32>Math.ceil(limit.secondsFor(1 - tokens)));
  }
  v.remaining = <i32>Math.floor(tokens);
  v.resetSeconds = <i32>Math.ceil(limit.secondsFor(limit.burst - tokens));
  return v;
}
