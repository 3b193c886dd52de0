// `remora check -c FILE`: everything `run` would refuse, found without serving.
// Config problems come from loadConfig; `checkPlugins` then makes sure each plugin is a
// WebAssembly module declaring a supported proxy-wasm ABI, and has the Wasm host (runtime/plugin)
// load and start every one (VM start, proxy_on_vm_start, proxy_on_configure). The first failure
// is a ConfigError on `plugins[i]`: still one line, with the plugin's last warning or error log
// (often the reason its configure refused) appended instead of printed separately.
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ConfigError } from '../config/errors.ts';
import { configErrorAt } from '../config/load.ts';
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
      throw configErrorAt(config, ['plugins', i, 'url'], `${plugin.path} is not a valid WebAssembly module: ${(e as Error).message}`);
    }
    const exported = new Set(WebAssembly.Module.exports(module).map((x) => x.name));
    const abi = [...exported].filter((name) => name.startsWith('proxy_abi_version_'));
    if (!abi.some((name) => SUPPORTED_ABI_EXPORTS.includes(name))) {
      const found = abi.length > 0 ? `it declares ${abi.join(', ')}` : 'it exports no proxy_abi_version_* function';
      throw configErrorAt(config, ['plugins', i, 'url'], `expected a proxy-wasm module (ABI 0.1.0, 0.2.0 or 0.2.1), but ${found}`);
    }
  }
  if (config.plugins.length === 0) return;
  const logs = new PluginLogTail();
  const { checkPlugins: startEveryPlugin } = await import('../plugin/runtime.ts');
  try {
    await startEveryPlugin(config, pino({ level: 'warn', base: undefined }, logs));
  } catch (e) {
    if (e instanceof ConfigError) {
      // The host's own lines repeat the error ("plugin x failed to start: <reason>"); keep what
      // the plugin said besides that.
      const reason = e.detail.replace(/^plugin [^:]*: /, '');
      const said = logs.messages.findLast((m) => !m.includes(reason) && !reason.includes(m));
      if (said) throw new ConfigError(e.file, e.path, `${e.detail} (plugin log: ${JSON.stringify(said)})`, e.line);
    }
    throw e;
  }
}

/** Keeps the last messages the plugins logged (at warn and above) while starting. */
class PluginLogTail extends Writable {
  readonly messages: string[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      try {
        // Plugin log lines carry `wasm: true` (runtime/plugin/plugin-host.ts).
        const entry = JSON.parse(line) as { msg?: unknown; wasm?: unknown };
        if (entry.wasm === true && typeof entry.msg === 'string') this.messages.push(entry.msg);
      } catch {
        // Not a JSON line; nothing to keep.
      }
    }
    if (this.messages.length > 20) this.messages.splice(0, this.messages.length - 20);
    done();
  }
}
