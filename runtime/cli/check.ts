// `remora check -c FILE`: everything `run` would refuse, found without serving.
// Config problems come from loadConfig; `checkPlugins` is the SEAM where the Wasm host loads
// and starts every plugin (VM start, proxy_on_vm_start, proxy_on_configure) and reports the
// first failure as a ConfigError on `plugins[i]`. What it does here already: each plugin must
// be a valid WebAssembly module that declares a proxy-wasm ABI version the host supports.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config/errors.ts';
import type { Config } from '../config/types.ts';

/** proxy-wasm ABI versions a plugin may declare by exporting `proxy_abi_version_<v>`. */
export const SUPPORTED_ABI_EXPORTS = ['proxy_abi_version_0_2_1', 'proxy_abi_version_0_2_0', 'proxy_abi_version_0_1_0'];

/** Throws a ConfigError naming `plugins[i]` for the first plugin that cannot run. */
export async function checkPlugins(config: Config): Promise<void> {
  for (const [i, plugin] of config.plugins.entries()) {
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(await readFile(plugin.path));
    } catch (e) {
      throw new ConfigError(config.source, `plugins[${i}].url`, `${plugin.path} is not a valid WebAssembly module: ${(e as Error).message}`);
    }
    const exported = new Set(WebAssembly.Module.exports(module).map((x) => x.name));
    const abi = [...exported].filter((name) => name.startsWith('proxy_abi_version_'));
    if (!abi.some((name) => SUPPORTED_ABI_EXPORTS.includes(name))) {
      const found = abi.length > 0 ? `it declares ${abi.join(', ')}` : 'it exports no proxy_abi_version_* function';
      throw new ConfigError(config.source, `plugins[${i}].url`, `expected a proxy-wasm module (ABI 0.1.0, 0.2.0 or 0.2.1), but ${found}`);
    }
  }
  // Then the Wasm host loads and starts each one (VM start, proxy_on_vm_start, proxy_on_configure).
  if (config.plugins.length > 0) await (await import('../plugin/runtime.ts')).checkPlugins(config, (await import('pino')).pino({ level: 'warn' }, process.stderr));
}
