// Route table: first matching route wins (host, path exact/prefix/regex, method, headers), then a weighted
// backend pick. Compiled once per config snapshot; matching allocates nothing unless a route needs the
// path without its query or a regex.
import type { RouteConfig } from '../config/types.ts';

export interface Route {
  readonly name: string;
  readonly plugins: string[];
  readonly timeoutMs: number;
  /** Cluster names with cumulative weights for the weighted pick. */
  readonly clusters: string[];
  readonly cumulative: number[];
  readonly totalWeight: number;
  readonly host: string | undefined;
  readonly path: string | undefined;
  readonly pathPrefix: string | undefined;
  readonly pathRegex: RegExp | undefined;
  readonly method: string | undefined;
  readonly headers: Array<[string, string]> | undefined;
}

export function compileRoute(rc: RouteConfig): Route {
  const clusters: string[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const b of rc.backends) {
    if (b.weight <= 0) continue;
    total += b.weight;
    clusters.push(b.cluster);
    cumulative.push(total);
  }
  if (clusters.length === 0 && rc.backends.length > 0) {
    // All weights zero: fall back to the first backend rather than refusing traffic.
    clusters.push(rc.backends[0].cluster);
    cumulative.push(1);
    total = 1;
  }
  const m = rc.match;
  return {
    name: rc.name,
    plugins: rc.plugins,
    timeoutMs: rc.timeoutMs,
    clusters,
    cumulative,
    totalWeight: total,
    host: m.host?.toLowerCase(),
    path: m.path,
    pathPrefix: m.pathPrefix,
    pathRegex: m.pathRegex === undefined ? undefined : new RegExp(`^(?:${m.pathRegex})$`),
    method: m.method?.toUpperCase(),
    headers: m.headers === undefined ? undefined : Object.entries(m.headers).map(([k, v]) => [k.toLowerCase(), v]),
  };
}

export class Router {
  readonly routes: Route[];
  /** Whether any route looks at the path without its query (exact or regex); prefix checks use the raw target. */
  private readonly needsBarePath: boolean;

  constructor(routes: RouteConfig[]) {
    this.routes = routes.map(compileRoute);
    this.needsBarePath = this.routes.some((r) => r.path !== undefined || r.pathRegex !== undefined);
  }

  /** First route matching the request, or undefined. `authority` may carry a port. */
  match(method: string, target: string, authority: string, headers: string[]): Route | undefined {
    let path = target;
    if (this.needsBarePath) {
      const q = target.indexOf('?');
      if (q !== -1) path = target.slice(0, q);
    }
    let host: string | undefined;
    for (const r of this.routes) {
      if (r.method !== undefined && r.method !== method) continue;
      if (r.path !== undefined && r.path !== path) continue;
      if (r.pathPrefix !== undefined && !path.startsWith(r.pathPrefix)) continue;
      if (r.pathRegex !== undefined && !r.pathRegex.test(path)) continue;
      if (r.host !== undefined) {
        host ??= hostWithoutPort(authority);
        if (r.host !== host) continue;
      }
      if (r.headers !== undefined && !headersMatch(r.headers, headers)) continue;
      return r;
    }
    return undefined;
  }
}

/** Header matchers read the flat upstream header list (lower-case names), so no header object is built. */
function headersMatch(want: Array<[string, string]>, flat: string[]): boolean {
  for (const [name, value] of want) {
    let found = false;
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i] === name && flat[i + 1] === value) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

export function hostWithoutPort(authority: string): string {
  let a = authority;
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    return (end === -1 ? a : a.slice(0, end + 1)).toLowerCase();
  }
  const colon = a.lastIndexOf(':');
  if (colon !== -1) a = a.slice(0, colon);
  return a.toLowerCase();
}

/** Weighted choice among a route's backends. */
export function pickCluster(route: Route): string {
  if (route.clusters.length === 1) return route.clusters[0];
  const x = Math.random() * route.totalWeight;
  const c = route.cumulative;
  for (let i = 0; i < c.length; i++) if (x < c[i]) return route.clusters[i];
  return route.clusters[route.clusters.length - 1];
}
