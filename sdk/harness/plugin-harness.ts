// Hosts one plugin in-process on Remora's own proxy-wasm host (abi/), with a PluginHost that records
// what the plugin does (logs, http calls, metrics) and lets the test answer its calls, fire its timer
// and feed its queues. No sockets, no proxy process: a test runs in milliseconds.

import { readFile } from 'node:fs/promises';
import {
  loadPlugin as loadAbiPlugin, MetricType, PluginLoadError, VmRegistry, sharedData, sharedQueues, standardForeignFunction,
  type Plugin, type PluginHost, type PropertyValue,
} from '../../abi/index.ts';
import { GrpcCallRecord, HttpCallRecord } from './call-records.ts';
import { HarnessStream, type StreamOptions } from './stream.ts';
import { HarnessConnection, type ConnectionOptions } from './connection.ts';

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';
const LEVELS: LogLevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];

export interface LogEntry {
  level: LogLevelName;
  message: string;
}

export interface LoadOptions {
  /** Plugin configuration: a string as is, anything else as JSON (as in Remora's config file). */
  config?: unknown;
  /** VM configuration, same rule. */
  vmConfig?: unknown;
  /** Selects the RootContext registered for it (plugin_root_id). Default "". */
  rootId?: string;
  /** Shared data and queues are per vmId; the default is unique per loadPlugin call, so tests never share by accident. */
  vmId?: string;
  /** plugin_name. Default "test-plugin". */
  name?: string;
  /** WASI environment. */
  env?: Record<string, string>;
  /** Root-level properties by dotted path (e.g. `'xds.node.id'`); streams add their own. */
  properties?: Record<string, PropertyValue>;
  /** Clusters httpCall may name; others get BadArgument as in Remora. Default: any name is accepted. */
  clusters?: string[];
  /** Host log level the plugin sees through log.level(). Default 'trace' (everything recorded). */
  logLevel?: LogLevelName;
  /** Let setTickPeriod run real timers. Default false: the test fires ticks with `tick()`. */
  realTicks?: boolean;
  /**
   * Answers proxy_call_foreign_function (`undefined` = unknown name, NOT_FOUND; a throw =
   * INTERNAL_FAILURE). Default: the ones Remora offers (compress, uncompress).
   */
  foreignFunction?: (name: string, args: Uint8Array) => Uint8Array | undefined;
  /** Share VMs between harness plugins (same code + vmId + vmConfig ⇒ one VM). Default: a fresh registry. */
  registry?: VmRegistry;
}

/** A plugin that could not start; `logs` has what it logged (e.g. why its configuration was refused). */
export class PluginStartError extends Error {
  readonly logs: LogEntry[];
  constructor(message: string, logs: LogEntry[]) {
    super(message);
    this.name = 'PluginStartError';
    this.logs = logs;
  }
}

export interface MetricValue {
  type: 'counter' | 'gauge' | 'histogram';
  /** Counter or gauge value. */
  value: number;
  /** Histogram samples and their sum. */
  count: number;
  sum: number;
}

let vmCounter = 0;

export class PluginHarness {
  readonly plugin: Plugin;
  readonly logs: LogEntry[];
  /** Every http call the plugin made, in order. */
  readonly httpCalls: HttpCallRecord[];
  /** Every unary gRPC call the plugin made, in order. */
  readonly grpcCalls: GrpcCallRecord[];
  readonly vmId: string;
  private readonly realTicks: boolean;

  constructor(plugin: Plugin, logs: LogEntry[], httpCalls: HttpCallRecord[], grpcCalls: GrpcCallRecord[], vmId: string, realTicks: boolean) {
    this.plugin = plugin;
    this.logs = logs;
    this.httpCalls = httpCalls;
    this.grpcCalls = grpcCalls;
    this.vmId = vmId;
    this.realTicks = realTicks;
    this.quiesce();
  }

  /** A new HTTP stream (proxy_on_context_create runs now). Drive it with `run()`. */
  stream(opts: StreamOptions = {}): HarnessStream {
    this.assertUsable();
    return new HarnessStream((host) => this.plugin.httpStream(host), opts, () => this.quiesce());
  }

  /** A new TCP connection through the plugin as a network filter (call `open()` first). */
  connection(opts: ConnectionOptions = {}): HarnessConnection {
    this.assertUsable();
    return new HarnessConnection((host) => this.plugin.tcpStream(host), opts, () => this.quiesce());
  }

  /** New streams need a running plugin: a trapped or closed one is the test's bug to see. */
  private assertUsable(): void {
    if (!this.plugin.usable()) throw new Error(`plugin ${this.plugin.name} is not usable: ${this.failure ?? 'stopped'}`);
  }

  /** Shorthand: a stream run to completion. */
  async request(opts: StreamOptions = {}): Promise<HarnessStream> {
    return this.stream(opts).run();
  }

  /** Http calls not answered yet. */
  get pendingHttpCalls(): HttpCallRecord[] {
    return this.httpCalls.filter((c) => !c.answered);
  }

  /** Messages logged at `level` (all levels when omitted). */
  messages(level?: LogLevelName): string[] {
    return this.logs.filter((l) => level === undefined || l.level === level).map((l) => l.message);
  }

  /** The VM trapped (the proxy would apply the plugin's failStrategy). */
  get failed(): boolean {
    return this.plugin.vm.failed;
  }

  get failure(): string | undefined {
    return this.plugin.vm.failure;
  }

  private root() {
    return this.plugin.vm.contexts.roots().find((c) => c.plugin === this.plugin);
  }

  /** Without realTicks the test owns time: drop the host's timer, keep the period. */
  private quiesce(): void {
    if (this.realTicks) return;
    const root = this.root();
    if (root?.tickTimer) {
      clearTimeout(root.tickTimer);
      root.tickTimer = undefined;
    }
  }

  /** The period the plugin set with setTickPeriod (0 = none). */
  get tickPeriodMs(): number {
    return this.root()?.tickPeriodMs ?? 0;
  }

  /** Runs proxy_on_tick now (as if the period elapsed). */
  tick(): void {
    const root = this.root();
    const vm = this.plugin.vm;
    const fn = vm.exports.proxy_on_tick;
    if (!root || !fn) throw new Error(`plugin ${this.plugin.name} has no root context or no proxy_on_tick`);
    vm.invoke(root, 'proxy_on_tick', fn, root.id);
    this.quiesce();
  }

  /** Waits for asynchronous host work (queue notifications) to be delivered. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    this.quiesce();
  }

  /** A metric the plugin defined, by name. */
  metric(name: string): MetricValue | undefined {
    for (const cell of this.plugin.vm.metrics.values()) {
      if (cell.name !== name) continue;
      return {
        type: cell.type === MetricType.Counter ? 'counter' : cell.type === MetricType.Gauge ? 'gauge' : 'histogram',
        value: Number(cell.value),
        count: cell.count,
        sum: cell.sum,
      };
    }
    return undefined;
  }

  /** All metrics the plugin defined: name -> counter/gauge value or histogram sample count. */
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const cell of this.plugin.vm.metrics.values()) out[cell.name] = cell.type === MetricType.Histogram ? cell.count : Number(cell.value);
    return out;
  }

  /** Shared data of this plugin's vmId. */
  getShared(key: string): { value: Buffer; text: string; cas: number } | undefined {
    const v = sharedData.get(this.vmId, key);
    if (!v) return undefined;
    const value = Buffer.from(v.value);
    return { value, text: value.toString('utf8'), cas: v.cas };
  }

  /** Writes shared data (cas 0 = unconditional); false on CAS mismatch. */
  setShared(key: string, value: string | Uint8Array, cas = 0): boolean {
    return sharedData.set(this.vmId, key, typeof value === 'string' ? Buffer.from(value, 'utf8') : value, cas);
  }

  /** Enqueues on queue `name` of this vmId (the registrant's onQueueReady runs after `settle()`). */
  enqueue(name: string, item: string | Uint8Array): void {
    const id = sharedQueues.resolve(this.vmId, name);
    if (id === undefined) throw new Error(`no shared queue "${name}" in vm ${this.vmId}`);
    sharedQueues.enqueue(id, typeof item === 'string' ? Buffer.from(item, 'utf8') : item);
  }

  /** Takes the oldest item of queue `name` (null when empty). */
  dequeue(name: string): Buffer | null {
    const id = sharedQueues.resolve(this.vmId, name);
    if (id === undefined) throw new Error(`no shared queue "${name}" in vm ${this.vmId}`);
    const item = sharedQueues.dequeue(id);
    return item ? Buffer.from(item) : null;
  }

  /** on_done / on_delete of the root context; the VM is released. */
  close(): void {
    this.plugin.stop();
  }
}

function configBytes(v: unknown): string | Uint8Array | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' || v instanceof Uint8Array) return v;
  return JSON.stringify(v);
}

/**
 * Loads and starts a plugin (`.wasm` path or bytes) as Remora does: on_context_create, on_vm_start,
 * on_configure. Throws PluginStartError (with the plugin's logs) if it refuses to start.
 */
export async function loadPlugin(wasm: string | Uint8Array, opts: LoadOptions = {}): Promise<PluginHarness> {
  const code = typeof wasm === 'string' ? await readFile(wasm) : wasm;
  const logs: LogEntry[] = [];
  const httpCalls: HttpCallRecord[] = [];
  const grpcCalls: GrpcCallRecord[] = [];
  const vmId = opts.vmId ?? `harness-${process.pid}-${++vmCounter}`;
  const clusters = opts.clusters ? new Set(opts.clusters) : undefined;
  const props = opts.properties ?? {};
  const host: PluginHost = {
    log: (level, message) => logs.push({ level: LEVELS[Math.min(Math.max(level, 0), 5)]!, message }),
    logLevel: () => LEVELS.indexOf(opts.logLevel ?? 'trace'),
    httpCall(req, done) {
      if (clusters && !clusters.has(req.cluster)) return 'unknown-cluster';
      httpCalls.push(new HttpCallRecord(req, done));
      return { cancel() {} };
    },
    grpcCall(req, events) {
      if (clusters && !clusters.has(req.cluster)) return 'unknown-cluster';
      grpcCalls.push(new GrpcCallRecord(req, events));
      return { cancel() {} };
    },
    property: (path) => props[path.join('.')],
    foreignFunction: opts.foreignFunction ?? standardForeignFunction,
  };
  let plugin: Plugin;
  try {
    plugin = await loadAbiPlugin(
      {
        name: opts.name ?? 'test-plugin',
        code,
        rootId: opts.rootId ?? '',
        vmId,
        config: configBytes(opts.config),
        vmConfig: configBytes(opts.vmConfig),
        env: opts.env,
      },
      host,
      opts.registry ?? new VmRegistry(),
    );
  } catch (e) {
    if (e instanceof PluginLoadError) throw new PluginStartError(e.message, logs);
    throw e;
  }
  return new PluginHarness(plugin, logs, httpCalls, grpcCalls, vmId, opts.realTicks ?? false);
}
