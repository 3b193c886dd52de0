// rate-limit: token buckets per client (address, header or authenticated identity) and per route,
// kept in shared data so every VM with the same vmId enforces one budget. Refused requests get 429
// with retry-after and ratelimit-* headers; allowed responses carry ratelimit-* too.
import {
  RootContext, HttpContext, Action, WasmResult, Header, registerRoot, request, response, sendLocalReply,
  SharedData, getPropertyString, currentTimeNanos, log, Counter,
} from '@remora/sdk/assembly';
import { parseRateLimitConfig, RateLimitConfig, RouteLimit, KEY_ADDRESS } from './config';
import { take, decodeState, encodeState, BucketState, Verdict } from './bucket';
import { addressWithoutPort } from '../../common/assembly/request_target';
import { localReplyGrpcStatus } from '../../common/assembly/grpc';
export * from '@remora/sdk/assembly/exports';

/** A CAS conflict means another VM updated the bucket in between; re-read and retry this often. */
const MAX_CAS_ATTEMPTS = 32;

class RateLimitRoot extends RootContext {
  config: RateLimitConfig = new RateLimitConfig();
  /** Requests refused with 429 (only refusals are counted: no host call on the allowed path). */
  overLimit: Counter = new Counter('ratelimit_over_limit_total');

  onConfigure(configuration: string): bool {
    const parsed = parseRateLimitConfig(configuration);
    const c = parsed.config;
    if (c === null) {
      log.error('rate-limit: invalid configuration: ' + parsed.error);
      return false;
    }
    this.config = c;
    return true;
  }

  newHttpContext(id: u32): HttpContext {
    return new RateLimitStream(id, this);
  }
}

function routeName(): string {
  let name = getPropertyString(['xds', 'route_name']);
  if (name === null) name = getPropertyString(['route_name']);
  return name === null ? '' : name;
}

/** The bucket key for this request: client IP, header value, or identity (IP when absent). */
function clientKey(config: RateLimitConfig): string {
  if (config.keyBy != KEY_ADDRESS) {
    const v = request.headers.get(config.keyHeader);
    if (v !== null && v.length > 0) return 'k:' + v;
  }
  const address = getPropertyString(['source', 'address']);
  return 'a:' + (address === null ? '' : addressWithoutPort(address));
}

/** Takes a token with compare-and-swap so concurrent VMs never both spend the last one. */
function spend(key: string, limit: RouteLimit): Verdict | null {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const current = SharedData.get(key);
    const state: BucketState | null = current === null ? null : decodeState(current.bytes);
    const verdict = take(state, limit.limit, <i64>currentTimeNanos());
    const next = verdict.next;
    if (next === null) return verdict;
    const status = SharedData.set(key, encodeState(next), current === null ? 0 : current.cas);
    if (status == WasmResult.Ok) return verdict;
    if (status != WasmResult.CasMismatch) {
      log.error('rate-limit: shared data write failed with status ' + (<i32>status).toString());
      return null;
    }
  }
  log.warn('rate-limit: gave up after ' + MAX_CAS_ATTEMPTS.toString() + ' CAS conflicts on ' + key);
  return null;
}

function limitHeaders(limit: RouteLimit, v: Verdict): Header[] {
  const h = new Array<Header>();
  h.push(new Header('ratelimit-limit', (<i64>limit.limit.burst).toString()));
  h.push(new Header('ratelimit-remaining', v.remaining.toString()));
  h.push(new Header('ratelimit-reset', v.resetSeconds.toString()));
  return h;
}

class RateLimitStream extends HttpContext {
  limit: RouteLimit | null = null;
  verdict: Verdict | null = null;

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const config = (this.root as RateLimitRoot).config;
    const limit = config.limitFor(routeName());
    if (limit === null) return Action.Continue;
    const key = config.keyPrefix + ':' + limit.route + ':' + clientKey(config);
    // A store failure lets the request through: rate limiting must not become an outage.
    const verdict = spend(key, limit);
    if (verdict === null) return Action.Continue;
    if (!verdict.allowed) {
      (this.root as RateLimitRoot).overLimit.increment();
      const headers = limitHeaders(limit, verdict);
      headers.push(new Header('retry-after', verdict.retryAfterSeconds.toString()));
      // gRPC clients read grpc-status (RESOURCE_EXHAUSTED) and grpc-message; the host sets their content-type.
      const grpcStatus = localReplyGrpcStatus(request.headers.get('content-type'), 429);
      if (grpcStatus < 0) headers.push(new Header('content-type', 'text/plain'));
      sendLocalReply(429, grpcStatus < 0 ? 'rate limit exceeded\n' : 'rate limit exceeded', headers, grpcStatus, 'rate_limited');
      return Action.Pause;
    }
    if (config.responseHeaders) {
      this.limit = limit;
      this.verdict = verdict;
    }
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    const limit = this.limit;
    const verdict = this.verdict;
    if (limit !== null && verdict !== null) {
      const headers = limitHeaders(limit, verdict);
      for (let i = 0; i < headers.length; i++) response.headers.set(headers[i].name, headers[i].value);
    }
    return Action.Continue;
  }
}

registerRoot('', (id: u32): RootContext => new RateLimitRoot(id));
