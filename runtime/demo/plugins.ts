// The demo's first-party plugins (plugins/: auth, rate-limit, header-router) and the curl lines
// that show them at work. The demo token is minted at startup with the HS256 key the demo config
// gives the auth plugin, so the printed line works as is (and only against this demo).
import { createHmac } from 'node:crypto';
import type { Config } from '../config/types.ts';
import type { DemoAddresses, DemoExample } from './examples.ts';

/** Lifetime of the printed token: long enough for a demo session. */
const TOKEN_TTL_SECONDS = 24 * 3600;

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** An HS256 JWT for `claims`, signed with the first `kty: oct` key of the demo auth plugin's JWKS. */
export function demoToken(config: Config, claims: Record<string, unknown> = {}): string | undefined {
  const auth = config.plugins.find((p) => p.name === 'auth');
  if (!auth) return undefined;
  let key: { k?: string; kid?: string } | undefined;
  try {
    const parsed = JSON.parse(auth.config) as { jwt?: { jwks?: { keys?: Array<{ kty?: string; k?: string; kid?: string }> } } };
    key = parsed.jwt?.jwks?.keys?.find((k) => k.kty === 'oct' && typeof k.k === 'string');
  } catch {
    return undefined;
  }
  if (!key?.k) return undefined;
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'HS256', typ: 'JWT', kid: key.kid };
  const payload = { iss: 'remora-demo', aud: 'demo-app', sub: 'demo-user', iat: now, exp: now + TOKEN_TTL_SECONDS, ...claims };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', Buffer.from(key.k, 'base64url')).update(input).digest('base64url')}`;
}

/** The plugin section of the printed examples; empty when the demo config has no auth plugin. */
export function pluginExamples(a: DemoAddresses, config: Config): DemoExample[] {
  const token = demoToken(config);
  if (!token) return [];
  const bearer = `-H 'authorization: Bearer ${token}'`;
  return [
    { command: `curl -i http://${a.inbound}/secure/items`, shows: '401 from the auth plugin: no token (www-authenticate: Bearer)' },
    { command: `curl -i ${bearer} http://${a.inbound}/secure/items`, shows: '200 with the demo token (HS256, minted at startup); x-user reaches the app' },
    {
      command: `for i in 1 2 3 4; do curl -s -o /dev/null -w '%{http_code} ' ${bearer} 'http://${a.inbound}/secure/items'; done; echo`,
      shows: '200 until the burst (3 per minute per caller) is spent, then 429 with retry-after and ratelimit-* headers',
    },
    { command: `curl -s -H 'x-canary: 1' http://${a.inbound}/echo | grep app-canary`, shows: 'header-router sent it to the canary route (cluster app-canary)' },
  ];
}
