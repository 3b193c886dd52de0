// One running Remora: config → logger → metrics → plugins → Proxy → admin server → ready.
// Used by `remora run` and `remora demo`. Owns the order of start, reload and shutdown so the
// process is never half-configured: a reload either fully applies or leaves the old config.
import { formatAddress } from '../config/address.ts';
import type { Config } from '../config/types.ts';
import { AdminServer } from '../admin/server.ts';
import { applyLogConfig, createLogger } from '../log/logger.ts';
import type { Logger } from '../log/logger.ts';
import { PrometheusProxyMetrics } from '../metrics/proxy-metrics.ts';
import { startPlugins } from './plugins.ts';
import type { PluginRuntime } from './plugins.ts';
import { Proxy } from '../proxy.ts';

export interface RemoraOptions {
  /** Defaults to a logger built from the config (stdout, REMORA_LOG). */
  log?: Logger;
}

export class Remora {
  readonly log: Logger;
  readonly metrics: PrometheusProxyMetrics;
  private config: Config;
  private readonly plugins: PluginRuntime;
  private readonly proxy: Proxy;
  private readonly admin: AdminServer;
  private stopping: Promise<void> | undefined;

  private constructor(config: Config, log: Logger, metrics: PrometheusProxyMetrics, plugins: PluginRuntime, proxy: Proxy) {
    this.config = config;
    this.log = log;
    this.metrics = metrics;
    this.plugins = plugins;
    this.proxy = proxy;
    this.admin = new AdminServer({
      address: config.admin.address,
      log,
      registry: metrics.registry,
      config: () => this.effectiveConfig(),
      pluginsProvider: () => this.plugins.describe(),
    });
  }

  /** Starts everything; logs `remora ready` when listeners and admin are bound. */
  static async start(config: Config, options: RemoraOptions = {}): Promise<Remora> {
    const log = options.log ?? createLogger(config);
    const metrics = new PrometheusProxyMetrics();
    const plugins = await startPlugins(config, { log, registry: metrics.registry });
    const proxy = new Proxy(config, { log, metrics, filters: plugins.filters });
    const remora = new Remora(config, log, metrics, plugins, proxy);
    try {
      // Admin first: /live and /ready (503) answer while listeners bind.
      await remora.admin.start();
      await proxy.start();
    } catch (e) {
      await remora.stop(0).catch(() => {});
      throw e;
    }
    remora.admin.setReady(true);
    log.info({ config: config.source }, 'remora ready');
    return remora;
  }

  get currentConfig(): Config {
    return this.config;
  }

  /** Bound admin address (for the demo's printed curl lines and tests). */
  adminAddress(): { host: string; port: number } | undefined {
    return this.admin.address();
  }

  listenerAddresses(): Map<string, { host: string; port: number }> {
    return this.proxy.addresses();
  }

  /** Swaps in a validated config; on any failure the old one keeps serving and this throws. */
  async reload(config: Config): Promise<void> {
    const staged = await this.plugins.prepare(config);
    try {
      await this.proxy.reload(config);
    } catch (e) {
      staged.abort();
      throw e;
    }
    staged.commit();
    this.metrics.configReload(true);
    this.config = config;
    applyLogConfig(this.log, config);
    this.log.info({ config: config.source }, 'config reloaded');
  }

  /** Stops taking traffic, drains for up to `graceMs`, then closes everything. Idempotent. */
  stop(graceMs: number = this.config.shutdownGracePeriodMs): Promise<void> {
    this.stopping ??= (async () => {
      this.admin.setReady(false);
      this.log.info({ graceMs }, 'shutting down');
      await this.proxy.shutdown(graceMs);
      await this.plugins.close();
      await this.admin.close();
      this.log.info('remora stopped');
    })();
    return this.stopping;
  }

  /** The config as served on /config: normalized, plus the addresses actually bound. */
  private effectiveConfig(): unknown {
    const bound = this.proxy.addresses();
    const admin = this.admin.address();
    return {
      ...this.config,
      admin: { ...this.config.admin, ...(admin ? { boundAddress: formatAddress(admin.host, admin.port) } : {}) },
      listeners: this.config.listeners.map((l) => {
        const b = bound.get(l.name);
        return b ? { ...l, boundAddress: formatAddress(b.host, b.port) } : l;
      }),
    };
  }
}
