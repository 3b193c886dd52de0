// SEAM for the proxy-wasm host (owned by the Wasm engineer): how `remora run` gets the filters
// for the plugins in a config, what /plugins shows, and how plugins follow a config reload.
// `startPlugins` is the single place the CLI asks for a plugin runtime: the proxy-wasm host in
// runtime/plugin (over abi/).
import type { Config } from '../config/types.ts';
import type { FilterFactory } from '../filter/types.ts';
import type { Logger } from '../log/logger.ts';
import type { Registry } from 'prom-client';

/** What the Wasm host provides to the rest of the process. */
export interface PluginRuntime {
  /** Given to `new Proxy(config, { filters })`; resolves plugin names at stream creation. */
  filters: FilterFactory;
  /** JSON-able description of each loaded plugin for the admin `/plugins` endpoint. */
  describe(): unknown[] | Promise<unknown[]>;
  /**
   * Loads the plugins of a new config next to the running ones. Throws (ideally a ConfigError
   * naming `plugins[i]`) to refuse the config: nothing changes then. On success the caller
   * reloads the proxy and calls `commit()` (switch to the new plugins, retire old VMs once idle)
   * or, if the proxy refused the config, `abort()` (drop the new ones).
   */
  prepare(config: Config): Promise<{ commit(): void; abort(): void }>;
  /** Stops every VM at shutdown. */
  close(): Promise<void>;
}

export interface PluginRuntimeDeps {
  log: Logger;
  /**
   * The proxy's Registry (what /metrics prints). Plugin-defined metrics go there with
   * `exportPluginMetrics(registry, store, buckets)` from runtime/metrics.
   */
  registry: Registry;
}

export async function startPlugins(config: Config, deps: PluginRuntimeDeps): Promise<PluginRuntime> {
  if (config.plugins.length === 0) return new DeferredPluginRuntime(deps);
  return loadWasmRuntime(config, deps);
}

/** The proxy-wasm host (runtime/plugin over abi/), imported only when a config has plugins. */
async function loadWasmRuntime(config: Config, deps: PluginRuntimeDeps): Promise<PluginRuntime> {
  const { WasmPluginRuntime } = await import('../plugin/runtime.ts');
  return WasmPluginRuntime.start(config, { log: deps.log, registry: deps.registry });
}

/**
 * For a config without plugins: no Wasm host is loaded (it is a large part of start-up time),
 * until a reload brings plugins. Its FilterFactory then forwards to the host it started.
 */
class DeferredPluginRuntime implements PluginRuntime {
  private readonly deps: PluginRuntimeDeps;
  private host: PluginRuntime | undefined;
  readonly filters: FilterFactory;

  constructor(deps: PluginRuntimeDeps) {
    this.deps = deps;
    const current = () => this.host;
    this.filters = {
      create(pluginName, stream) {
        const host = current();
        if (!host) throw new Error(`plugin ${pluginName} is not loaded`);
        return host.filters.create(pluginName, stream);
      },
      createTcp(pluginName, connection) {
        const host = current();
        if (!host?.filters.createTcp) throw new Error(`plugin ${pluginName} is not loaded`);
        return host.filters.createTcp(pluginName, connection);
      },
    };
  }

  describe(): unknown[] | Promise<unknown[]> {
    return this.host?.describe() ?? [];
  }

  async prepare(config: Config): Promise<{ commit(): void; abort(): void }> {
    if (!this.host) {
      if (config.plugins.length === 0) return { commit() {}, abort() {} };
      // Started empty, so the new plugins go through the host's own staged prepare/commit.
      this.host = await loadWasmRuntime({ ...config, plugins: [] }, this.deps);
    }
    return this.host.prepare(config);
  }

  async close(): Promise<void> {
    await this.host?.close();
  }
}
