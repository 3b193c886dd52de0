// A loaded plugin: one root context on a VM shared by every plugin with the same VM key
// (sha256 of code, vm_id, vm configuration, env and memory cap), started as Envoy does:
// on_context_create(root, 0) -> on_vm_start(root, vm_config_size) -> on_configure(root, size).

import { createHash } from 'node:crypto';
import type { AbiVersion } from './types.ts';
import type { PluginHost, StreamHost, LogSink } from './host.ts';
import { ABI_MARKERS } from './types.ts';
import { WasmVm } from './vm/vm.ts';
import { capDefinedMemory, readModuleInfo, type ModuleInfo } from './vm/module-info.ts';
import { totalMs, type CallbackStat, type PluginBinding, type RootContext } from './context/context.ts';
import { HttpStream } from './context/http-stream.ts';
import { sharedData } from './shared/shared-data.ts';
import { TcpStream } from './context/tcp-stream.ts';

export const DEFAULT_MAX_MEMORY_BYTES = 64 * 1024 * 1024;

export interface PluginSpec {
  name: string;
  /** The .wasm bytes. */
  code: Uint8Array;
  rootId?: string;
  vmId?: string;
  /** Plugin configuration (proxy_on_configure). */
  config?: string | Uint8Array;
  /** VM configuration (proxy_on_vm_start). */
  vmConfig?: string | Uint8Array;
  /** WASI environ. */
  env?: Record<string, string>;
  maxMemoryBytes?: number;
}

/** A plugin that could not be loaded or started; the message names the plugin. */
export class PluginLoadError extends Error {
  readonly plugin: string;
  constructor(plugin: string, message: string) {
    super(`plugin ${plugin}: ${message}`);
    this.name = 'PluginLoadError';
    this.plugin = plugin;
  }
}

/** Detects the ABI version from the `proxy_abi_version_*` export (reference §1.2). */
export function detectAbiVersion(module: WebAssembly.Module): AbiVersion {
  const names = new Set(WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name));
  for (const [marker, version] of ABI_MARKERS) if (names.has(marker)) return version;
  const other = [...names].find((n) => n.startsWith('proxy_abi_version_'));
  throw new Error(
    other
      ? `unsupported proxy-wasm ABI version (export ${other}); supported: 0.1.0, 0.2.0, 0.2.1`
      : 'missing or unknown proxy-wasm ABI version (no proxy_abi_version_0_1_0 / 0_2_0 / 0_2_1 export)',
  );
}

const bytes = (v: string | Uint8Array | undefined) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : (v ?? new Uint8Array(0)));
const sha256 = (...parts: Array<string | Uint8Array>) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('||');
  return h.digest('hex');
};

interface CompiledModule {
  module: WebAssembly.Module;
  info: ModuleInfo;
  abi: AbiVersion;
}

/** Compiles modules once and shares VMs by key. One registry per process is the normal case. */
export class VmRegistry {
  private readonly modules = new Map<string, CompiledModule>();
  private readonly vms = new Map<string, WasmVm>();

  /** Compiles (cached by code hash and memory cap). Throws with a clear reason. */
  async compile(code: Uint8Array, maxMemoryBytes: number): Promise<CompiledModule> {
    const k = `${sha256(code)}:${maxMemoryBytes}`;
    const hit = this.modules.get(k);
    if (hit) return hit;
    const info = readModuleInfo(code);
    if (info.definedMemory && info.definedMemory.min * 65536 > maxMemoryBytes) {
      throw new Error(`module declares ${info.definedMemory.min * 65536} bytes of initial memory, over the cap of ${maxMemoryBytes}`);
    }
    const capped = capDefinedMemory(code, info, Math.floor(maxMemoryBytes / 65536));
    const module = await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>);
    const abi = detectAbiVersion(module);
    const compiled = { module, info, abi };
    this.modules.set(k, compiled);
    return compiled;
  }

  /** The live VM for `key`, or a fresh one (instantiated and started). */
  acquire(key: string, compiled: CompiledModule, spec: PluginSpec, maxMemoryBytes: number, log: LogSink): WasmVm {
    const cur = this.vms.get(key);
    if (cur && !cur.failed) return cur;
    const vm = new WasmVm({
      key,
      abi: compiled.abi,
      module: compiled.module,
      info: compiled.info,
      maxMemoryBytes,
      env: spec.env ?? {},
      log,
    });
    vm.start();
    this.vms.set(key, vm);
    return vm;
  }

  /** Drop a VM nobody uses any more (or that failed). */
  release(vm: WasmVm): void {
    if (this.vms.get(vm.key) === vm && (vm.users <= 0 || vm.failed)) this.vms.delete(vm.key);
  }

  /** Number of live VMs (for tests and /plugins). */
  get size(): number {
    return this.vms.size;
  }
}

/** The process-wide registry used when none is given. */
export const defaultRegistry = new VmRegistry();

/** What /plugins shows for one plugin. */
export interface PluginState {
  name: string;
  abiVersion: AbiVersion;
  vmKey: string;
  vmId: string;
  rootId: string;
  /** running | failed | stopped */
  state: 'running' | 'failed' | 'stopped';
  failure: string | undefined;
  traps: number;
  restarts: number;
  memoryBytes: number;
  /** Per callback export: calls and cumulative milliseconds (estimated from sampled timings). */
  callbacks: Record<string, { count: number; totalMs: number }>;
}

export class Plugin implements PluginBinding {
  readonly name: string;
  readonly rootId: string;
  readonly vmId: string;
  readonly config: Uint8Array;
  readonly vmConfig: Uint8Array;
  readonly host: PluginHost;
  readonly stats = new Map<string, CallbackStat>();
  traps = 0;
  restarts = 0;
  readonly spec: PluginSpec;
  readonly key: string;
  private readonly compiled: CompiledModule;
  private readonly registry: VmRegistry;
  private readonly maxMemoryBytes: number;
  private _vm!: WasmVm;
  private root!: RootContext;
  private stopped = false;
  /** This plugin is counted in `_vm.users` (from a successful acquire until released once). */
  private holdsVm = false;

  constructor(spec: PluginSpec, compiled: CompiledModule, host: PluginHost, registry: VmRegistry) {
    this.spec = spec;
    this.name = spec.name;
    this.rootId = spec.rootId ?? '';
    this.vmId = spec.vmId ?? '';
    this.config = bytes(spec.config);
    this.vmConfig = bytes(spec.vmConfig);
    this.host = host;
    this.compiled = compiled;
    this.registry = registry;
    this.maxMemoryBytes = spec.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    const env = JSON.stringify(Object.entries(spec.env ?? {}).sort());
    this.key = sha256(spec.code, this.vmId, this.vmConfig, env, String(this.maxMemoryBytes));
  }

  get vm(): WasmVm {
    return this._vm;
  }

  get abiVersion(): AbiVersion {
    return this.compiled.abi;
  }

  /** Acquire the VM and announce this plugin's root context. Throws PluginLoadError. */
  start(): void {
    let vm: WasmVm;
    try {
      vm = this.registry.acquire(this.key, this.compiled, this.spec, this.maxMemoryBytes, (level, msg) => this.host.log(level, msg));
    } catch (e) {
      throw new PluginLoadError(this.name, e instanceof Error ? e.message : String(e));
    }
    this._vm = vm;
    vm.users++;
    this.holdsVm = true;
    const root = vm.newRoot(this);
    this.root = root;
    const e = vm.exports;
    if (e.proxy_on_context_create) vm.invoke(root, 'proxy_on_context_create', e.proxy_on_context_create, root.id, 0);
    if (vm.failed) this.failStart(`proxy_on_context_create failed: ${vm.failure}`);
    if (e.proxy_on_vm_start) {
      const r = vm.invoke(root, 'proxy_on_vm_start', e.proxy_on_vm_start, root.id, this.vmConfig.length);
      if (vm.failed) this.failStart(`proxy_on_vm_start failed: ${vm.failure}`);
      if (r === 0) this.failStart('proxy_on_vm_start returned false');
    }
    this.configure();
  }

  /** A start that did not complete: the root is forgotten, the VM given back, the error thrown. */
  private failStart(why: string): never {
    this._vm.dropContext(this.root);
    this.releaseVm();
    this.host.log(4, `plugin ${this.name} failed to start: ${why}`);
    throw new PluginLoadError(this.name, why);
  }

  /**
   * Stops counting as a user of the current VM, once: a failed start, a restart and a stop may all
   * come after one another, and a VM other plugins share must stay registered while they use it.
   */
  private releaseVm(): void {
    if (!this.holdsVm) return;
    this.holdsVm = false;
    this._vm.users--;
    this.registry.release(this._vm);
  }

  /** proxy_on_configure with this plugin's configuration; false or a trap fails. */
  private configure(): void {
    const vm = this._vm;
    const root = this.root;
    const fn = vm.exports.proxy_on_configure;
    if (!fn) return;
    vm.scratch.configuring = root;
    let r: number | undefined;
    try {
      r = vm.invoke(root, 'proxy_on_configure', fn, root.id, this.config.length);
    } finally {
      vm.scratch.configuring = undefined;
    }
    if (vm.failed) this.failStart(`proxy_on_configure failed: ${vm.failure}`);
    if (r === 0) this.failStart('proxy_on_configure returned false');
  }

  /** Can streams use this plugin now? */
  usable(): boolean {
    return !this.stopped && !this._vm.failed && !this.root.deleted;
  }

  /** Replace a failed VM with a fresh one (failStrategy reload). Throws PluginLoadError. */
  restart(): void {
    const old = this._vm;
    if (!old.failed && !this.root.deleted) return;
    this.releaseVm();
    this.restarts++;
    this.start();
  }

  /** Subscribe to this plugin's VM failing (re-subscribe after restart). */
  onFailure(listener: (reason: string) => void): () => void {
    return this._vm.onFailure(listener);
  }

  /** A new HTTP stream context; the caller checks `usable()` first. */
  httpStream(host: StreamHost): HttpStream {
    return new HttpStream(this._vm, this._vm.newStream(this.root, host));
  }

  tcpStream(host: StreamHost): TcpStream {
    return new TcpStream(this._vm, this._vm.newStream(this.root, host));
  }

  /** Plugin removed: on_done/on_delete of the root (deferred if the plugin asks), VM released. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    sharedData.release(this.vmId);
    const vm = this._vm;
    if (!vm.failed) vm.deleteRoot(this.root);
    if (this.root.deleted || vm.failed) vm.dropContext(this.root);
    this.releaseVm();
  }

  state(): PluginState {
    const vm = this._vm;
    const callbacks: Record<string, { count: number; totalMs: number }> = {};
    for (const [k, v] of this.stats) callbacks[k] = { count: v.count, totalMs: totalMs(v) };
    return {
      name: this.name,
      abiVersion: this.compiled.abi,
      vmKey: this.key.slice(0, 16),
      vmId: this.vmId,
      rootId: this.rootId,
      state: this.stopped ? 'stopped' : vm.failed ? 'failed' : 'running',
      failure: vm.failed ? vm.failure : undefined,
      traps: this.traps,
      restarts: this.restarts,
      memoryBytes: vm.mem.byteLength(),
      callbacks,
    };
  }
}

/**
 * Compiles, instantiates (or reuses the VM of an equal key) and starts a plugin.
 * Throws PluginLoadError naming the plugin for a bad module, an unsupported ABI, a failed start,
 * or on_vm_start / on_configure returning false.
 */
export async function loadPlugin(spec: PluginSpec, host: PluginHost, registry: VmRegistry = defaultRegistry): Promise<Plugin> {
  let compiled: CompiledModule;
  try {
    compiled = await registry.compile(spec.code, spec.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES);
  } catch (e) {
    throw new PluginLoadError(spec.name, e instanceof Error ? e.message : String(e));
  }
  const plugin = new Plugin(spec, compiled, host, registry);
  plugin.start();
  // Shared data lives while some plugin with this vm_id does (restarts keep it).
  sharedData.retain(plugin.vmId);
  return plugin;
}
