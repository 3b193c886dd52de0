// Test fixtures shared by the control-plane tests: a minimal proxy-wasm plugin as WAT (compiled
// with the wabt npm package) and a self-signed certificate (made with the openssl CLI).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import wabt from 'wabt';

/** The smallest module that starts as a proxy-wasm 0.2.1 plugin: VM start and configure succeed. */
export const MINIMAL_PLUGIN_WAT = `(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1)))`;

/** WebAssembly text → binary. */
export async function compileWat(text: string, name = 'module.wat'): Promise<Buffer> {
  const w = await wabt();
  const mod = w.parseWat(name, text);
  try {
    return Buffer.from(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** Writes a self-signed EC certificate for localhost / 127.0.0.1 into `dir`. */
export function selfSignedCert(dir: string, name = 'server'): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'pipe' });
  return { certFile, keyFile };
}
