// Request path normalization (RFC 3986 §6.2.2): routes match, and the upstream receives, one spelling of
// each path. Without it `/%61dmin`, `//admin` or `/x/../admin` would miss a route for `/admin` (and its
// auth plugin), fall to a catch-all route, and still be read as /admin by the upstream.

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** True when `path` (no query) might change: most paths are returned as they came without any work. */
function mayNeedWork(path: string): boolean {
  return path.includes('%') || path.includes('//') || path.includes('/.');
}

/** Decodes percent-encoded unreserved characters and upper-cases the hex of the others (§6.2.2.1-2). */
function normalizePercent(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
}

/** Removes `.` and `..` segments (§5.2.4); `..` never climbs above the root. */
function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      out.pop();
      if (last) out.push('');
    } else {
      out.push(s);
    }
  }
  return `/${out.join('/')}`;
}

/**
 * The origin-form request target as Remora routes and forwards it: unreserved characters decoded,
 * repeated slashes merged, dot segments removed, a fragment (never sent by conforming clients) dropped;
 * the query is kept as it came. `*` and anything not starting with `/` are returned unchanged.
 */
export function normalizePath(target: string): string {
  if (target.charCodeAt(0) !== 47 /* '/' */) return target;
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (!mayNeedWork(path)) return target;
  const query = q < 0 ? '' : target.slice(q);
  let p = path.includes('%') ? normalizePercent(path) : path;
  if (p.includes('//')) p = p.replace(/\/{2,}/g, '/');
  if (p.includes('/.')) p = removeDotSegments(p);
  return p + query;
}
