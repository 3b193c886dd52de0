// Self-signed certificate for TLS listener tests, made at test time with the openssl CLI
// (CN=localhost, SAN localhost + 127.0.0.1), in a temp dir removed by the caller's after hook.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CleanupScope } from './remora.ts';

export interface TestCert {
  certFile: string;
  keyFile: string;
  /** PEM text of the certificate, to trust it as a CA on the client side. */
  cert: string;
}

export function makeSelfSignedCert(scope: CleanupScope): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'remora-cert-'));
  scope.after(() => rmSync(dir, { recursive: true, force: true }));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'pipe' });
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8') };
}
