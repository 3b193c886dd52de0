// header-router: ordered rules on headers, cookies, path and query; the first match picks an upstream
// cluster (by setting a header the route table matches on), sets headers, rewrites the path prefix
// or the host. Remora re-matches routes after request-header plugins change headers, as Envoy does
// after clearing the route cache, so a rule can steer the request to another route's cluster.
import { RootContext, HttpContext, Action, registerRoot, request, log } from '@remora/sdk/assembly';
import { parseRouterConfig, RouterConfig } from './config';
import { firstMatch, rewritePrefix } from './rules';
import { RequestInfo } from '../../common/assembly/request_info';
export * from '@remora/sdk/assembly/exports';

class HeaderRouterRoot extends RootContext {
  config: RouterConfig = new RouterConfig();

  onConfigure(configuration: string): bool {
    const parsed = parseRouterConfig(configuration);
    const c = parsed.config;
    if (c === null) {
      log.error('header-router: invalid configuration: ' + parsed.error);
      return false;
    }
    this.config = c;
    return true;
  }

  newHttpContext(id: u32): HttpContext {
    return new HeaderRouterStream(id, this);
  }
}

/**
 * Every `cookie` header joined with "; " (HTTP/2 clients send one header per cookie, and the host's
 * single-value lookup returns only the first).
 */
function cookies(): string | null {
  const first = request.headers.get('cookie');
  if (first === null) return null;
  const all = request.headers.all();
  let joined = '';
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i].name != 'cookie') continue;
    joined += (count++ > 0 ? '; ' : '') + all[i].value;
  }
  return count > 1 ? joined : first;
}

/** Request headers read from the host on demand (most rules look at one or two). */
class HostRequest extends RequestInfo {
  private cachedPath: string | null = null;
  header(name: string): string | null {
    if (name == 'cookie') return cookies();
    return request.headers.get(name);
  }
  path(): string {
    let p = this.cachedPath;
    if (p === null) {
      p = request.headers.get(':path');
      if (p === null) p = '/';
      this.cachedPath = p;
    }
    return p;
  }
}

class HeaderRouterStream extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const config = (this.root as HeaderRouterRoot).config;
    if (config.stripClusterHeader) request.headers.remove(config.clusterHeader);
    const req = new HostRequest();
    const index = firstMatch(config.rules, req);
    if (index < 0) return Action.Continue;
    const rule = config.rules[index];
    if (rule.cluster.length > 0) request.headers.set(config.clusterHeader, rule.cluster);
    for (let i = 0; i < rule.setHeaders.length; i++) request.headers.set(rule.setHeaders[i].name, rule.setHeaders[i].value);
    if (rule.rewriteFrom.length > 0) {
      const rewritten = rewritePrefix(req.path(), rule.rewriteFrom, rule.rewriteTo);
      if (rewritten !== null) request.headers.set(':path', rewritten);
    }
    if (rule.host.length > 0) request.headers.set(':authority', rule.host);
    return Action.Continue;
  }
}

registerRoot('', (id: u32): RootContext => new HeaderRouterRoot(id));
