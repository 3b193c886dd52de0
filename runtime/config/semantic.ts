// Checks the schema cannot express: names that must exist or be unique, exclusive keys,
// regular expressions that must compile, addresses and durations that must parse.
// Runs on a document that already satisfies schema.ts; reports the first problem.
import { ADDRESS_EXPECTED, parseAddress } from './address.ts';
import { DURATION_EXPECTED, parseDuration } from './duration.ts';
import { parseSize, SIZE_EXPECTED } from './size.ts';
import { fieldPath } from './errors.ts';
import type { Duration, RawConfig } from './raw.ts';
import { defaultRouteName } from './defaults.ts';
import type { SchemaProblem } from './validate.ts';

type Path = Array<string | number>;

class Problem extends Error {
  readonly path: Path;
  constructor(path: Path, detail: string) {
    super(detail);
    this.path = path;
  }
}

/** Smallest useful HTTP head limit; below this ordinary browsers fail. */
const MIN_HEADER_BYTES = 1024;
/** One Wasm page: a plugin cannot run in less. */
const MIN_PLUGIN_MEMORY = 65536;

export function checkSemantics(raw: RawConfig): SchemaProblem | undefined {
  try {
    check(raw);
    return undefined;
  } catch (e) {
    if (e instanceof Problem) return { path: e.path, detail: e.message };
    throw e;
  }
}

function check(raw: RawConfig): void {
  const clusters = raw.clusters ?? [];
  const plugins = raw.plugins ?? [];
  const clusterNames = uniqueNames(clusters, 'clusters', 'cluster');
  const pluginNames = uniqueNames(plugins, 'plugins', 'plugin');
  uniqueNames(raw.listeners, 'listeners', 'listener');

  const bound = new Map<string, string>();
  const bind = (address: string, path: Path) => {
    const hp = parseAddress(address);
    if (!hp) throw new Problem(path, `expected ${ADDRESS_EXPECTED}, got ${JSON.stringify(address)}`);
    if (hp.port === 0) return;
    const key = `${hp.host}:${hp.port}`;
    const other = bound.get(key);
    if (other) throw new Problem(path, `address ${address} is already used by ${other}`);
    bound.set(key, fieldPath(path));
  };
  if (raw.admin?.address !== undefined) bind(raw.admin.address, ['admin', 'address']);
  duration(raw.shutdownGracePeriod, ['shutdownGracePeriod']);

  const knownCluster = (name: string, path: Path) => {
    if (!clusterNames.has(name)) throw new Problem(path, `unknown cluster ${JSON.stringify(name)}; ${known('clusters', clusterNames)}`);
  };
  const knownPlugins = (names: string[] | undefined, path: Path) => {
    (names ?? []).forEach((name, i) => {
      if (!pluginNames.has(name)) throw new Problem([...path, i], `unknown plugin ${JSON.stringify(name)}; ${known('plugins', pluginNames)}`);
    });
  };

  raw.listeners.forEach((l, li) => {
    const lp: Path = ['listeners', li];
    bind(l.address, [...lp, 'address']);
    duration(l.detectTimeout, [...lp, 'detectTimeout']);
    duration(l.idleTimeout, [...lp, 'idleTimeout']);
    duration(l.headersTimeout, [...lp, 'headersTimeout']);
    duration(l.streamIdleTimeout, [...lp, 'streamIdleTimeout']);
    if (l.maxHeaderBytes !== undefined) {
      const n = parseSize(l.maxHeaderBytes);
      if (n === undefined || n < MIN_HEADER_BYTES) {
        throw new Problem([...lp, 'maxHeaderBytes'], `expected ${SIZE_EXPECTED}, at least ${MIN_HEADER_BYTES}, got ${JSON.stringify(l.maxHeaderBytes)}`);
      }
    }
    if (l.defaultCluster !== undefined) knownCluster(l.defaultCluster, [...lp, 'defaultCluster']);
    knownPlugins(l.tcpPlugins, [...lp, 'tcpPlugins']);
    const routes = l.routes ?? [];
    if (routes.length === 0 && l.defaultCluster === undefined) {
      throw new Problem(lp, 'expected routes or a defaultCluster: the listener has nowhere to send traffic');
    }
    const routeNames = new Map<string, number>();
    routes.forEach((r, ri) => {
      const rp: Path = [...lp, 'routes', ri];
      const routeName = r.name ?? defaultRouteName(ri);
      const first = routeNames.get(routeName);
      if (first !== undefined) throw new Problem([...rp, 'name'], `duplicate route name ${JSON.stringify(routeName)} (also ${fieldPath([...lp, 'routes', first])})`);
      routeNames.set(routeName, ri);
      const m = r.match ?? {};
      const pathKeys = (['path', 'pathPrefix', 'pathRegex'] as const).filter((k) => m[k] !== undefined);
      if (pathKeys.length > 1) throw new Problem([...rp, 'match'], `expected at most one of path, pathPrefix, pathRegex, got ${pathKeys.join(' and ')}`);
      if (m.pathRegex !== undefined) {
        try {
          new RegExp(m.pathRegex);
        } catch (e) {
          throw new Problem([...rp, 'match', 'pathRegex'], `expected a JavaScript regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
        }
      }
      if (r.cluster !== undefined && r.backends !== undefined) throw new Problem(rp, 'expected either cluster or backends, not both');
      if (r.cluster === undefined && r.backends === undefined) throw new Problem(rp, 'missing required key "cluster" (or "backends")');
      if (r.cluster !== undefined) knownCluster(r.cluster, [...rp, 'cluster']);
      if (r.backends) {
        r.backends.forEach((b, bi) => knownCluster(b.cluster, [...rp, 'backends', bi, 'cluster']));
        const total = r.backends.reduce((sum, b) => sum + (b.weight ?? 1), 0);
        if (total <= 0) throw new Problem([...rp, 'backends'], 'expected at least one backend with a weight above 0');
      }
      knownPlugins(r.plugins, [...rp, 'plugins']);
      duration(r.timeout, [...rp, 'timeout']);
    });
  });

  clusters.forEach((c, ci) => {
    const cp: Path = ['clusters', ci];
    c.endpoints.forEach((e, ei) => {
      const hp = parseAddress(e);
      if (!hp || hp.port === 0) throw new Problem([...cp, 'endpoints', ei], `expected ${ADDRESS_EXPECTED} with a port above 0, got ${JSON.stringify(e)}`);
    });
    duration(c.connectTimeout, [...cp, 'connectTimeout']);
  });

  plugins.forEach((p, pi) => {
    const pp: Path = ['plugins', pi];
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(p.url)?.[1]?.toLowerCase();
    if (scheme === 'oci') throw new Problem([...pp, 'url'], 'oci:// is not supported yet; use a file path or an https:// URL with a sha256 pin');
    if (scheme === 'https' && p.sha256 === undefined) throw new Problem([...pp, 'sha256'], 'missing: an https:// plugin url needs a sha256 pin');
    if (scheme !== undefined && scheme !== 'file' && scheme !== 'https') {
      throw new Problem([...pp, 'url'], `expected file://, https:// or a path, got ${scheme}://`);
    }
    if (p.maxMemory !== undefined) {
      const n = parseSize(p.maxMemory);
      if (n === undefined || n < MIN_PLUGIN_MEMORY) {
        throw new Problem([...pp, 'maxMemory'], `expected ${SIZE_EXPECTED}, at least 64Ki, got ${JSON.stringify(p.maxMemory)}`);
      }
    }
  });
}

function uniqueNames(items: Array<{ name: string }>, list: string, what: string): Set<string> {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first !== undefined) throw new Problem([list, i, 'name'], `duplicate ${what} name ${JSON.stringify(item.name)} (also ${list}[${first}])`);
    seen.set(item.name, i);
  });
  return new Set(seen.keys());
}

function duration(value: Duration | undefined, path: Path): void {
  if (value !== undefined && parseDuration(value) === undefined) {
    throw new Problem(path, `expected ${DURATION_EXPECTED}, got ${JSON.stringify(value)}`);
  }
}

function known(what: string, names: Set<string>): string {
  return names.size === 0 ? `no ${what} are defined` : `defined ${what}: ${[...names].join(', ')}`;
}

