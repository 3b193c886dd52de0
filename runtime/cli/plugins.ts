// SEAM for the proxy-wasm host (owned by the Wasm engineer): how `remora run` gets the filters
// for the plugins in a config, what /plugins shows, and how plugins follow a config reload.
// `startPlugins` is the single place the CLI asks for a plugin runtime; replace its body with
// the real host (runtime/plugin/...). Until then a config without plugins runs normally, and a
// config that names plugins is refused at start with a clear error instead of failing requests.
import { ConfigError } from '../config/errors.ts';
import type { Config } from '../config/types.ts';
import type { FilterFactory } from '../filter/types.ts';
import type { Logger } from '../log/logger.ts';
import type { PluginMetricSink } from '../metrics/plugin-metrics.ts';
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
   * The proxy's Registry (what /metrics prints). A host that keeps its own metric cells exports
   * them with `exportPluginMetrics(registry, store, buckets)` from runtime/metrics.
   */
  registry: Registry;
  /** Or let Remora hold plugin metric values: define/increment/record/get by id. */
  metrics: PluginMetricSink;
}

/** A runtime for configs without plugins: no filters, nothing to describe. */
class NoPlugins implements PluginRuntime {
  filters: FilterFactory = {
    create(pluginName: string): never {
      throw new Error(`plugin ${pluginName} is not loaded`);
    },
  };
  describe(): unknown[] {
    return [];
  }
  async prepare(config: Config): Promise<{ commit(): void; abort(): void }> {
    refusePlugins(config);
    return { commit() {}, abort() {} };
  }
  async close(): Promise<void> {}
}

function refusePlugins(config: Config): void {
  if (config.plugins.length > 0) {
    throw new ConfigError(config.source, 'plugins[0]', 'this Remora build has no proxy-wasm host; remove the plugins to run');
  }
}

export async function startPlugins(config: Config, _deps: PluginRuntimeDeps): Promise<PluginRuntime> {
  refusePlugins(config);
  return new NoPlugins();
}
