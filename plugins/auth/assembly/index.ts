// auth: JWT (HS256/RS256 against a JWKS in the config), API keys, and an external check over
// proxy_http_call (Envoy ext_authz-like). 401 with www-authenticate for missing or invalid
// credentials, 403 for valid ones that lack a required claim; the identity and selected claims are
// forwarded upstream as request headers. The decision itself lives in policy.ts.
import {
  RootContext, HttpContext, BaseContext, HttpCallResponse, Action, Header, registerRoot, request,
  sendLocalReply, httpCall, currentTimeNanos, log, WasmResult, Counter,
} from '@remora/sdk/assembly';
import { parseAuthConfig, AuthConfig, ExternalConfig } from './config';
import { decide, AuthDecision, HeaderEdit, RequestInfo, ALLOW, ASK_EXTERNAL } from './policy';
import { grpcStatusFor, isGrpcContentType } from '../../common/assembly/grpc';
export * from '@remora/sdk/assembly/exports';

class AuthRoot extends RootContext {
  config: AuthConfig = new AuthConfig();
  /** Requests refused (401/403, locally or by the external check). */
  denied: Counter = new Counter('auth_denied_total');
  /** External checks that got no answer (not sent, reset, timed out): answered with statusOnError. */
  checkFailures: Counter = new Counter('auth_check_failures_total');

  onConfigure(configuration: string): bool {
    const parsed = parseAuthConfig(configuration);
    const c = parsed.config;
    if (c === null) {
      log.error('auth: invalid configuration: ' + parsed.error);
      return false;
    }
    this.config = c;
    return true;
  }

  newHttpContext(id: u32): HttpContext {
    return new AuthStream(id, this);
  }
}

class HostRequest extends RequestInfo {
  header(name: string): string | null {
    return request.headers.get(name);
  }
  path(): string {
    const p = request.headers.get(':path');
    return p === null ? '/' : p;
  }
}

function applyEdits(edits: HeaderEdit[]): void {
  for (let i = 0; i < edits.length; i++) {
    const v = edits[i].value;
    if (v === null) request.headers.remove(edits[i].name);
    else request.headers.set(edits[i].name, v);
  }
}

function jsonEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c < 0x20) continue;
    else out += String.fromCharCode(c);
  }
  return out;
}

/** Whether the current request is gRPC (its refusals carry grpc-status; the host answers trailers-only). */
function isGrpcRequest(): bool {
  return isGrpcContentType(request.headers.get('content-type'));
}

/**
 * Sends a refusal. gRPC requests get the mapped grpc-status and the text as grpc-message, without a
 * content-type of ours (the host sets application/grpc); others get `body` with `contentType`.
 */
function reply(status: u32, headers: Header[], body: string, grpcMessage: string, contentType: string | null, details: string): void {
  if (isGrpcRequest()) {
    sendLocalReply(status, grpcMessage, headers, grpcStatusFor(status), details);
    return;
  }
  if (contentType !== null) headers.push(new Header('content-type', contentType));
  sendLocalReply(status, body, headers, -1, details);
}

function refuse(d: AuthDecision): void {
  const error = d.error.length > 0 ? d.error : 'unauthorized';
  const body = '{"error":"' + error + '","error_description":"' + jsonEscape(d.description) + '"}\n';
  reply(d.status, [new Header('www-authenticate', d.challenge)], body, d.description, 'application/json', 'auth_denied');
}

class AuthStream extends HttpContext {
  /** Edits decided locally, applied once the external check grants access. */
  pending: HeaderEdit[] = [];

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const config = (this.root as AuthRoot).config;
    const now = <f64>currentTimeNanos() / 1e9;
    const d = decide(config, new HostRequest(), now);
    if (d.status == ALLOW) {
      applyEdits(d.edits);
      return Action.Continue;
    }
    if (d.status == ASK_EXTERNAL) {
      this.pending = d.edits;
      return this.askExternal(config.external!);
    }
    log.debug('auth: ' + d.status.toString() + ' ' + d.description);
    (this.root as AuthRoot).denied.increment();
    refuse(d);
    return Action.Pause;
  }

  /**
   * The headers this plugin vouches for (identity, forwarded claims, the external check's copied headers)
   * must not arrive as client trailers either: an upstream that merges trailers into headers would
   * believe them.
   */
  onRequestTrailers(trailerCount: u32): Action {
    const config = (this.root as AuthRoot).config;
    request.trailers.remove(config.identityHeader);
    const jwt = config.jwt;
    if (jwt !== null) for (let i = 0; i < jwt.forwardClaims.length; i++) request.trailers.remove(jwt.forwardClaims[i].header);
    const ext = config.external;
    if (ext !== null) for (let i = 0; i < ext.upstreamHeaders.length; i++) request.trailers.remove(ext.upstreamHeaders[i]);
    return Action.Continue;
  }

  askExternal(ext: ExternalConfig): Action {
    const method = request.headers.get(':method');
    const path = request.headers.get(':path');
    const headers: Header[] = [
      new Header(':method', method === null ? 'GET' : method),
      new Header(':path', ext.pathPrefix + (path === null ? '/' : path)),
      new Header(':authority', ext.authority),
    ];
    for (let i = 0; i < ext.requestHeaders.length; i++) {
      const v = request.headers.get(ext.requestHeaders[i]);
      if (v !== null) headers.push(new Header(ext.requestHeaders[i], v));
    }
    const status = httpCall(ext.cluster, headers, null, [], ext.timeoutMs, (origin: BaseContext, response: HttpCallResponse): void => {
      (origin as AuthStream).onExternalVerdict(response);
    });
    if (status != WasmResult.Ok) {
      log.error('auth: external check to cluster ' + ext.cluster + ' could not be sent (status ' + (<i32>status).toString() + ')');
      (this.root as AuthRoot).checkFailures.increment();
      reply(ext.statusOnError, [], '', 'authorization check failed', null, 'auth_check_failed');
      return Action.Pause;
    }
    return Action.Pause;
  }

  onExternalVerdict(response: HttpCallResponse): void {
    const ext = (this.root as AuthRoot).config.external!;
    const status = response.status;
    if (status >= 200 && status < 300) {
      applyEdits(this.pending);
      for (let i = 0; i < ext.upstreamHeaders.length; i++) {
        const v = response.headers.get(ext.upstreamHeaders[i]);
        if (v !== null) request.headers.set(ext.upstreamHeaders[i], v);
      }
      this.resumeRequest();
      return;
    }
    if (status == 0) {
      log.warn('auth: external check to cluster ' + ext.cluster + ' failed without a response');
      (this.root as AuthRoot).checkFailures.increment();
      reply(ext.statusOnError, [], '', 'authorization check failed', null, 'auth_check_failed');
      return;
    }
    (this.root as AuthRoot).denied.increment();
    // Forward the service's verdict (status, selected headers, body), as Envoy's ext_authz does.
    const headers = new Array<Header>();
    for (let i = 0; i < ext.clientHeaders.length; i++) {
      const v = response.headers.get(ext.clientHeaders[i]);
      if (v !== null) headers.push(new Header(ext.clientHeaders[i], v));
    }
    const text = response.text();
    reply(status, headers, text, text, response.headers.get('content-type'), 'auth_denied');
  }
}

registerRoot('', (id: u32): RootContext => new AuthRoot(id));
