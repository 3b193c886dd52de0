// Test fixtures shared by the control-plane tests: a minimal proxy-wasm plugin as WAT, compiled
// with the wabt npm package.
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
