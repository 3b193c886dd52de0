// The proxy-wasm plugin runtime of a Remora process: loads every plugin of the config with the
// abi/ host (VMs shared by key), hands the data plane a FilterFactory, follows config reloads
// (unchanged plugins keep their root context and VM), shows /plugins, exports plugin metrics.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Counter, type Registry } from 'prom-client';
import { HISTOGRAM_BUCKETS, loadPlugin, metricStore, VmRegistry, type Plugin } from '../../abi/index.ts';
import { configErrorAt } from '../config/load.ts';
import type { Config, PluginConfig } from '../config/types.ts';
import { FilterStatus, type FilterFactory, type HttpFilter, type HttpStreamControl, type TcpConnectionControl, type TcpFilter } from '../filter/types.ts';
import type { Logger } from '../log/logger.ts';
import { exportPluginMetrics } from '../metrics/plugin-cells.ts';
import { CalloutEndpoints } from './cluster-endpoints.ts';
import { FailedPluginFilter, WasmHttpFilter } from './http-filter.ts';
import { pluginHost } from './plugin-host.ts';
import { PluginSlot, SlotDecision } from './plugin-slot.ts';
import { WasmTcpFilter } from './tcp-filter.ts';

export interface PluginRuntimeOptions {
  log: Logger;
  /** The proxy's registry: plugin-defined metrics and `remora_plugin_failures_total` go there. */
  registry?: Registry;
  /** VM registry (tests pass their own); default: one per runtime. */
  vms?: VmRegistry;
  /** failStrategy reload: first backoff (default 1 s). */
  reloadBackoffMs?: number;
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

interface PluginCode {
  code: Buffer;
  /** Everything that makes the plugin: same fingerprint on reload = keep the running one. */
  fingerprint: string;
}

/** Reads and pins one plugin's code; errors become ConfigErrors naming `plugins[i]`. */
async function readPlugin(config: Config, i: number, pc: PluginConfig): Promise<PluginCode> {
  let code: Buffer;
  try {
    code = await readFile(pc.path);
  } catch (e) {
    throw configErrorAt(config, ['plugins', i, 'url'], `cannot read ${pc.path}: ${(e as Error).message}`);
  }
  const hash = sha256(code);
  if (pc.sha256 && pc.sha256.toLowerCase() !== hash) {
    throw configErrorAt(config, ['plugins', i, 'sha256'], `expected ${pc.sha256}, but ${pc.path} has sha256 ${hash}`);
  }
  const fingerprint = sha256(JSON.stringify([hash, pc.config, pc.vmConfig, pc.vmId, pc.rootId, pc.env, pc.maxMemoryBytes, pc.failStrategy]));
  return { code, fingerprint };
}

/** Loads and starts one plugin (VM start, on_vm_start, on_configure). */
async function startPlugin(config: Config, i: number, pc: PluginConfig, code: Buffer, log: Logger, endpoints: CalloutEndpoints, vms: VmRegistry): Promise<Plugin> {
  try {
    return await loadPlugin(
      {
        name: pc.name,
        code,
        rootId: pc.rootId,
        vmId: pc.vmId,
        config: pc.config,
        vmConfig: pc.vmConfig,
        env: pc.env,
        maxMemoryBytes: pc.maxMemoryBytes,
      },
      pluginHost(pc.name, log, endpoints),
      vms,
    );
  } catch (e) {
    throw configErrorAt(config, ['plugins', i], (e as Error).message);
  }
}

export class WasmPluginRuntime {
  readonly filters: FilterFactory;
  private slots = new Map<string, PluginSlot>();
  private readonly opts: PluginRuntimeOptions;
  private readonly vms: VmRegistry;
  private readonly endpoints: CalloutEndpoints;
  private readonly failures: Counter<'plugin'> | undefined;
  private readonly stopExport: (() => void) | undefined;

  private constructor(config: Config, opts: PluginRuntimeOptions) {
    this.opts = opts;
    this.vms = opts.vms ?? new VmRegistry();
    this.endpoints = new CalloutEndpoints(config);
    if (opts.registry) {
      this.failures = new Counter({
        name: 'remora_plugin_failures_total',
        help: 'proxy-wasm VM failures (traps, bad memory access, bad allocator results) by plugin',
        labelNames: ['plugin'],
        registers: [opts.registry],
      });
      this.stopExport = exportPluginMetrics(opts.registry, metricStore, HISTOGRAM_BUCKETS, (cell, promName) =>
        opts.log.warn({ metric: cell.name, promName }, 'plugin metric name taken; not exported'),
      );
    }
    const slotFor = (pluginName: string): PluginSlot => {
      const slot = this.slots.get(pluginName);
      if (!slot) throw new Error(`plugin ${pluginName} is not loaded`);
      return slot;
    };
    this.filters = {
      create(pluginName: string, control: HttpStreamControl): HttpFilter {
        const slot = slotFor(pluginName);
        switch (slot.decide()) {
          case SlotDecision.Run:
            return new WasmHttpFilter(slot, control);
          case SlotDecision.Skip:
            return {};
          default:
            return new FailedPluginFilter(pluginName, control);
        }
      },
      createTcp(pluginName: string, connection: TcpConnectionControl): TcpFilter {
        const slot = slotFor(pluginName);
        switch (slot.decide()) {
          case SlotDecision.Run:
            return new WasmTcpFilter(slot, connection);
          case SlotDecision.Skip:
            return {};
          default:
            // failStrategy close / reload pending: the connection is refused at once.
            return {
              onNewConnection() {
                connection.close();
                return FilterStatus.Stop;
              },
            };
        }
      },
    };
  }

  /** Loads and starts every plugin of `config`; throws a ConfigError for the first that fails. */
  static async start(config: Config, opts: PluginRuntimeOptions): Promise<WasmPluginRuntime> {
    const rt = new WasmPluginRuntime(config, opts);
    const staged = await rt.prepare(config);
    staged.commit();
    return rt;
  }

  private slotOptions() {
    return {
      log: this.opts.log,
      backoffBaseMs: this.opts.reloadBackoffMs,
      onFailure: (plugin: string) => this.failures?.inc({ plugin }),
    };
  }

  /** Loads the plugins of a new config next to the running ones (reusing unchanged ones). */
  async prepare(config: Config): Promise<{ commit(): void; abort(): void }> {
    const next = new Map<string, PluginSlot>();
    const created: PluginSlot[] = [];
    try {
      for (const [i, pc] of config.plugins.entries()) {
        const { code, fingerprint } = await readPlugin(config, i, pc);
        const old = this.slots.get(pc.name);
        if (old && old.fingerprint === fingerprint && old.plugin.usable()) {
          // Unchanged and healthy: keep the running root context (and its VM). A failed one is
          // started afresh, so a reload also revives plugins whose VM died.
          next.set(pc.name, old);
          continue;
        }
        const plugin = await startPlugin(config, i, pc, code, this.opts.log, this.endpoints, this.vms);
        const slot = new PluginSlot(pc, plugin, fingerprint, this.slotOptions());
        created.push(slot);
        next.set(pc.name, slot);
      }
    } catch (e) {
      for (const s of created) s.close();
      throw e;
    }
    return {
      commit: () => {
        const old = this.slots;
        this.slots = next;
        this.endpoints.update(config);
        for (const [name, s] of old) if (next.get(name) !== s) s.retire();
      },
      abort: () => {
        for (const s of created) s.close();
      },
    };
  }

  describe(): unknown[] {
    return [...this.slots.values()].map((s) => s.describe());
  }

  async close(): Promise<void> {
    for (const s of this.slots.values()) s.close();
    this.slots.clear();
    this.stopExport?.();
    await this.endpoints.close();
  }
}

/** `remora check`: loads and starts every plugin (VM start, on_vm_start, on_configure), then stops them. */
export async function checkPlugins(config: Config, log: Logger): Promise<void> {
  const vms = new VmRegistry();
  const endpoints = new CalloutEndpoints(config);
  const loaded: Plugin[] = [];
  try {
    for (const [i, pc] of config.plugins.entries()) {
      const { code } = await readPlugin(config, i, pc);
      loaded.push(await startPlugin(config, i, pc, code, log, endpoints, vms));
    }
  } finally {
    for (const p of loaded) p.stop();
    await endpoints.close();
  }
}
