// Remora targets with plugins. The header-adding plugin is the bench's own (bench/plugins/
// add-header, built with the SDK); the first-party plugins come from plugins/*/build/. Each
// target is skipped with the reason when its .wasm cannot be had.
import { createSign, generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildBenchPlugin, buildProxyRuntimePlugin } from './bench-plugins.ts';
import type { RemoraPlugin } from './remora-target.ts';
import { remoraTarget, type SkippedTarget, type Target } from './targets.ts';

type Entry = Target | SkippedTarget;

/** plugins/<name>/build/<name>.wasm, built with plugins/build.ts when missing. */
async function firstPartyWasm(root: string, name: string): Promise<{ path: string } | { skipped: string }> {
  const path = join(root, 'plugins', name, 'build', `${name}.wasm`);
  if (existsSync(path)) return { path };
  const build = join(root, 'plugins', 'build.ts');
  if (!existsSync(join(root, 'plugins', name, 'assembly', 'index.ts')) || !existsSync(build)) {
    return { skipped: `plugins/${name} is not in this tree (no plugins/${name}/assembly/index.ts)` };
  }
  try {
    const { buildPlugin } = (await import(build)) as { buildPlugin(n: string): Promise<{ out: string }> };
    return { path: (await buildPlugin(name)).out };
  } catch (e) {
    return { skipped: `building plugins/${name} failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

const b64url = (x: string | Buffer) => Buffer.from(x).toString('base64url');

/** A fresh RS256 key pair: the JWKS for the auth plugin's config and a valid token for the load. */
export function rs256Fixture(): { jwks: { keys: object[] }; token: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'bench' }));
  const claims = b64url(JSON.stringify({ iss: 'https://bench.remora/', aud: 'bench', sub: 'wrk', iat: now, exp: now + 86_400 }));
  const input = `${header}.${claims}`;
  const sig = createSign('sha256').update(input).sign(privateKey).toString('base64url');
  return { jwks: { keys: [jwk] }, token: `${input}.${sig}` };
}

interface FirstParty {
  id: string;
  name: string;
  label: string;
  config: () => { config: unknown; headers?: Record<string, string>; expectHeader?: [string, string] };
}

const FIRST_PARTY: FirstParty[] = [
  {
    id: 'remora-header-router',
    name: 'header-router',
    label: 'Remora + header-router (header rule sets a request header)',
    config: () => ({
      config: { rules: [{ name: 'canary', when: [{ header: 'x-canary', exact: '1' }], setHeaders: { 'x-variant': 'canary' } }] },
      headers: { 'x-canary': '1' },
    }),
  },
  {
    id: 'remora-rate-limit',
    name: 'rate-limit',
    label: 'Remora + rate-limit (one bucket by address, never empty)',
    config: () => ({
      config: { keyBy: 'address', limit: { requestsPerUnit: 1_000_000_000, unit: 'second', burst: 1_000_000_000 } },
      expectHeader: ['ratelimit-limit', '1000000000'],
    }),
  },
  {
    // The load repeats one token, so the plugin's verified-token cache (on by default) answers after
    // the first request: the cost of a client reusing its token.
    id: 'remora-auth-rs256',
    name: 'auth',
    label: 'Remora + auth (RS256 JWT, verified-token cache on: one token reused)',
    config: () => {
      const { jwks, token } = rs256Fixture();
      return {
        config: { realm: 'bench', jwt: { jwks, issuers: ['https://bench.remora/'], audiences: ['bench'] } },
        headers: { authorization: `Bearer ${token}` },
      };
    },
  },
  {
    // cacheSize 0: the RSA signature is verified on every request (a new token each time).
    id: 'remora-auth-rs256-nocache',
    name: 'auth',
    label: 'Remora + auth (RS256 JWT verified on every request: cache off)',
    config: () => {
      const { jwks, token } = rs256Fixture();
      return {
        config: { realm: 'bench', jwt: { jwks, issuers: ['https://bench.remora/'], audiences: ['bench'], cacheSize: 0 } },
        headers: { authorization: `Bearer ${token}` },
      };
    },
  },
];

async function firstPartyTargets(root: string, wanted: (id: string) => boolean): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const fp of FIRST_PARTY) {
    if (!wanted(fp.id)) continue;
    const wasm = await firstPartyWasm(root, fp.name);
    if ('skipped' in wasm) {
      out.push({ id: fp.id, label: fp.label, skipped: wasm.skipped });
      continue;
    }
    const c = fp.config();
    out.push(
      remoraTarget({
        id: fp.id,
        label: fp.label,
        kind: 'remora-plugins',
        accessLog: false,
        plugins: [{ name: fp.name, path: wasm.path, config: c.config }],
        headers: c.headers,
        expectHeader: c.expectHeader,
      }),
    );
  }
  return out;
}

async function headerPluginTargets(root: string): Promise<Entry[]> {
  const built = await buildBenchPlugin(root, 'add-header');
  if ('skipped' in built) {
    return [
      { id: 'remora-1plugin', label: 'Remora + 1 header-adding plugin', skipped: built.skipped },
      { id: 'remora-3plugins', label: 'Remora + chain of 3 plugins', skipped: built.skipped },
    ];
  }
  const addHeader = (n: number): RemoraPlugin => ({ name: `add-header-${n}`, path: built.path, config: { name: `x-bench-${n}`, value: String(n) } });
  return [
    remoraTarget({
      id: 'remora-1plugin',
      label: 'Remora + 1 header-adding plugin',
      kind: 'remora-plugins',
      accessLog: false,
      plugins: [addHeader(1)],
      expectHeader: ['x-bench-1', '1'],
    }),
    remoraTarget({
      id: 'remora-3plugins',
      label: 'Remora + chain of 3 header-adding plugins',
      kind: 'remora-plugins',
      accessLog: false,
      plugins: [addHeader(1), addHeader(2), addHeader(3)],
      expectHeader: ['x-bench-3', '3'],
    }),
  ];
}

/** The same header-adding logic built with @solo-io/proxy-runtime, to compare SDK overheads. */
async function proxyRuntimeHeaderTarget(root: string): Promise<Entry> {
  const id = 'remora-1plugin-proxy-runtime';
  const label = 'Remora + 1 header-adding plugin built with @solo-io/proxy-runtime';
  const built = await buildProxyRuntimePlugin(root, 'add-header-proxy-runtime');
  if ('skipped' in built) return { id, label, skipped: built.skipped };
  return remoraTarget({
    id,
    label,
    kind: 'remora-plugins',
    accessLog: false,
    plugins: [{ name: 'add-header-pr', path: built.path }],
    expectHeader: ['x-bench-1', '1'],
  });
}

/** Plugin targets among those `wanted` (building a plugin takes seconds: only when needed). */
export async function pluginTargets(root: string, wanted: (id: string) => boolean): Promise<Entry[]> {
  const out: Entry[] = [];
  if (wanted('remora-1plugin') || wanted('remora-3plugins')) out.push(...(await headerPluginTargets(root)));
  if (wanted('remora-1plugin-proxy-runtime')) out.push(await proxyRuntimeHeaderTarget(root));
  out.push(...(await firstPartyTargets(root, wanted)));
  return out;
}
