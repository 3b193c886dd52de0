// Mints JWTs with node:crypto: for the auth plugin's tests and for the demo's printed token.
import { createHmac, createSign, type KeyObject } from 'node:crypto';

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export type Claims = Record<string, unknown>;

/** Signs `claims` as an HS256 JWS with `secret` (raw bytes of the JWK `k`). */
export function mintHs256(secret: Buffer, claims: Claims, header: Claims = {}): string {
  const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', ...header }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Signs `claims` as an RS256 JWS with an RSA private key. */
export function mintRs256(privateKey: KeyObject, claims: Claims, header: Claims = {}): string {
  const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...header }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${createSign('sha256').update(input).sign(privateKey).toString('base64url')}`;
}

/** An unsigned token (`alg: none`), which the plugin must refuse. */
export function mintUnsigned(claims: Claims): string {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
}

/** A JWK for an HS256 secret. */
export function octJwk(secret: Buffer, kid: string): Claims {
  return { kty: 'oct', kid, alg: 'HS256', k: secret.toString('base64url') };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
