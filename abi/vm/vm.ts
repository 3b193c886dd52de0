// One instantiated plugin module (a "VM" in proxy-wasm terms): imports, start functions, contexts,
// the call wrapper every callback goes through (effective context, statistics, failure capture,
// memory cap, deferred actions), and VM-scoped id counters (reference §1.2, §1.4, §7.1, §7.14).

import type { AbiVersion } from '../types.ts';
import type { LogSink } from '../host.ts';
import { GuestMemory } from '../memory/guest-memory.ts';
import { RootContext, StreamContext, TIMING_SAMPLE, rootOf, type CallbackStat, type Context, type PluginBinding } from '../context/context.ts';
import { ContextTable } from '../context/context-table.ts';
import type { StreamHost, HttpCallResponse } from '../host.ts';
import type { HeaderPairs } from '../types.ts';
import type { MetricCell } from '../shared/metric-store.ts';
import { buildImports } from '../hostcalls/index.ts';
import { wasiImports } from './wasi.ts';
import { ProcExit, VmFault } from './fault.ts';
import type { ModuleInfo } from './module-info.ts';
import { expectedSignature } from './signatures.ts';

const PAGE = 65536;

export type Export = (...args: any[]) => any;

export interface VmOptions {
  key: string;
  abi: AbiVersion;
  module: WebAssembly.Module;
  info: ModuleInfo;
  maxMemoryBytes: number;
  env: Record<string, string>;
  /** VM-level log (start functions, WASI output outside any context). */
  log: LogSink;
}

/** Data only readable during a specific callback (call responses, gRPC messages, ...). */
export interface CallScratch {
  httpResponse: HttpCallResponse | undefined;
  grpcMessage: Uint8Array | undefined;
  grpcInitial: HeaderPairs | undefined;
  grpcTrailing: HeaderPairs | undefined;
  foreignArgs: Uint8Array | undefined;
  /** The root context whose on_configure / validate is running (PLUGIN_CONFIGURATION readable). */
  configuring: RootContext | undefined;
}

export class WasmVm {
  readonly key: string;
  readonly abi: AbiVersion;
  readonly maxMemoryBytes: number;
  readonly env: Record<string, string>;
  readonly log: LogSink;
  readonly exports: Record<string, Export>;
  readonly mem: GuestMemory;
  readonly contexts = new ContextTable();
  readonly scratch: CallScratch = {
    httpResponse: undefined,
    grpcMessage: undefined,
    grpcInitial: undefined,
    grpcTrailing: undefined,
    foreignArgs: undefined,
    configuring: undefined,
  };
  /** Status for proxy_get_status (last callout outcome being reported). */
  status = { code: 0, message: '' };
  /** Per-VM callout tokens: low 2 bits = kind (http 0, grpc call 1, grpc stream 2). */
  lastToken = [0, 1, 2];
  /** Per-VM metric ids: low 2 bits = type. */
  lastMetricId = [0, 1, 2];
  readonly metrics = new Map<number, MetricCell>();

  /** Context of the callback running now / the override from proxy_set_effective_context. */
  current: Context | undefined = undefined;
  effective: Context | undefined = undefined;
  failed = false;
  failure: string | undefined = undefined;
  /** Plugins currently using this VM (root contexts alive). */
  users = 0;
  /** Callback statistics of calls made outside any plugin (start functions). */
  readonly startStats = new Map<string, CallbackStat>();
  private depth = 0;
  private readonly deferred: Array<() => void> = [];
  private nextContextId = 1;
  private readonly failureListeners = new Set<(reason: string) => void>();

  constructor(opts: VmOptions) {
    this.key = opts.key;
    this.abi = opts.abi;
    this.maxMemoryBytes = opts.maxMemoryBytes;
    this.env = opts.env;
    this.log = opts.log;
    const { module, info } = opts;
    const capPages = Math.floor(opts.maxMemoryBytes / PAGE);

    for (const [name, sig] of info.exportedFuncs) {
      const want = expectedSignature(name, opts.abi);
      if (want && (want[0] !== sig.params || want[1] !== sig.results)) {
        throw new Error(`bad function signature for export ${name}: (${sig.params} params, ${sig.results} results), expected (${want[0]}, ${want[1]})`);
      }
    }
    if (info.definedMemory && info.definedMemory.min > capPages) {
      throw new Error(`module declares ${info.definedMemory.min * PAGE} bytes of initial memory, over the cap of ${opts.maxMemoryBytes}`);
    }

    const env = buildImports(this);
    const wasi = wasiImports({
      memory: () => this.mem,
      log: (level, msg) => this.logFor(level, msg),
      environ: () => Object.entries(this.env).map(([k, v]) => `${k}=${v}`),
    });
    const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {
      env,
      wasi_snapshot_preview1: wasi,
      wasi_unstable: wasi,
    };
    let imported: WebAssembly.Memory | undefined;
    if (info.importedMemory) {
      const lim = info.importedMemory;
      if (lim.min > capPages) {
        throw new Error(`module imports a memory of ${lim.min * PAGE} bytes, over the cap of ${opts.maxMemoryBytes}`);
      }
      imported = new WebAssembly.Memory({ initial: lim.min, maximum: Math.min(lim.max ?? capPages, capPages) });
      const mod = info.importedMemoryModule!;
      (imports[mod] ??= {})[info.importedMemoryName!] = imported;
    }
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind === 'memory') continue;
      const provided = imports[imp.module]?.[imp.name];
      if (provided === undefined) {
        throw new Error(`missing import ${imp.module}.${imp.name} (not provided for proxy-wasm ABI ${opts.abi})`);
      }
      if (imp.kind !== 'function') throw new Error(`unsupported ${imp.kind} import ${imp.module}.${imp.name}`);
    }

    // A start section (AssemblyScript) runs inside the constructor: no memory view exists yet, so
    // hostcalls made there see `mem` unset and answer INVALID_MEMORY_ACCESS.
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(module, imports);
    } catch (e) {
      throw new Error(`instantiation failed: ${errText(e)}`);
    }
    this.exports = instance.exports as Record<string, Export>;
    const memory = imported ?? (instance.exports.memory as WebAssembly.Memory | undefined);
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('module neither exports nor imports a memory');
    this.mem = new GuestMemory(memory);
    // cpp-host order: malloc first, then proxy_on_memory_allocate.
    const alloc = this.exports.malloc ?? this.exports.proxy_on_memory_allocate;
    if (!alloc) throw new Error('module exports no allocator (malloc or proxy_on_memory_allocate)');
    this.mem.allocator = alloc as (n: number) => number;
  }

  /** A start function is running: proc_exit(0) there ends a WASI command normally. */
  private starting = false;

  /** Runs `_initialize` (+ `main`/`__main_void`) or `_start`. Throws with the failure reason. */
  start(): void {
    const e = this.exports;
    this.starting = true;
    try {
      this.runStart(e);
    } finally {
      this.starting = false;
    }
    if (this.failed) throw new Error(`module start failed: ${this.failure}`);
  }

  private runStart(e: Record<string, Export>): void {
    if (e._initialize) {
      this.invoke(undefined, '_initialize', e._initialize);
      if (e.main) this.invoke(undefined, 'main', e.main, 0, 0);
      else if (e.__main_void) this.invoke(undefined, '__main_void', e.__main_void);
    } else if (e._start) {
      this.invoke(undefined, '_start', e._start);
    }
  }

  // ---- contexts -------------------------------------------------------------------------------

  private allocateId(): number {
    // Counter from 1 (cpp-host), skipping ids whose table slot is taken (so ids in use too); wraps at 2^32.
    for (;;) {
      const id = this.nextContextId;
      this.nextContextId = id >= 0xffffffff ? 1 : id + 1;
      if (this.contexts.canTake(id)) return id;
    }
  }

  newRoot(plugin: PluginBinding): RootContext {
    const ctx = new RootContext(this.allocateId(), plugin);
    this.contexts.add(ctx);
    return ctx;
  }

  newStream(root: RootContext, host: StreamHost): StreamContext {
    const ctx = new StreamContext(this.allocateId(), root, host);
    this.contexts.add(ctx);
    return ctx;
  }

  /** Forget a context (after on_delete, or when never announced). */
  dropContext(ctx: Context): void {
    ctx.deleted = true;
    this.contexts.remove(ctx);
    if (ctx.kind === 'root') this.stopTimersAndCallouts(ctx);
  }

  /** A root that will never be called again: its tick timer stops and its callouts are cancelled. */
  private stopTimersAndCallouts(root: RootContext): void {
    this.setTick(root, 0);
    for (const h of root.callouts.values()) h.cancel();
    root.callouts.clear();
  }

  /** Root shutdown: on_done, then on_delete now or after proxy_done (reference §1.3, §7.17). */
  deleteRoot(root: RootContext): void {
    if (root.deleted) return;
    const onDone = this.exports.proxy_on_done;
    let done = true;
    if (onDone && !this.failed && !root.pendingDone) {
      const r = this.invoke(root, 'proxy_on_done', onDone, root.id);
      done = this.failed || r === undefined || r !== 0;
    }
    if (!done) {
      root.pendingDone = true;
      return;
    }
    this.finishRoot(root);
  }

  /** on_delete for a root whose done is complete. */
  finishRoot(root: RootContext): void {
    if (root.deleted) return;
    const onDelete = this.exports.proxy_on_delete;
    if (onDelete && !this.failed) this.invoke(root, 'proxy_on_delete', onDelete, root.id);
    this.dropContext(root);
  }

  // ---- calls ----------------------------------------------------------------------------------

  /**
   * Calls an export for `ctx`. Returns the export's result, or undefined if the VM is (or became)
   * failed. Effective context is reset for the call and restored after; deferred actions run when
   * the outermost call returns.
   */
  invoke(ctx: Context | undefined, name: string, fn: Export, a?: number, b?: number, c?: number, d?: number, e?: number): number | undefined {
    if (this.failed) return undefined;
    const prevCurrent = this.current;
    const prevEffective = this.effective;
    this.current = ctx;
    this.effective = ctx;
    this.depth++;
    const stats = ctx ? (ctx.kind === 'root' ? ctx : ctx.root).plugin.stats : this.startStats;
    let st = stats.get(name);
    if (!st) stats.set(name, (st = { count: 0, sampledCount: 0, sampledMs: 0 }));
    const timed = st.count++ % TIMING_SAMPLE === 0;
    const t0 = timed ? performance.now() : 0;
    let r: number | undefined;
    try {
      r = fn(a, b, c, d, e);
    } catch (err) {
      // A WASI command (TinyGo, old Rust) may end `_start` with proc_exit(0): that is success.
      if (!(this.starting && err instanceof ProcExit && err.code === 0)) this.fail(`${name}: ${errText(err)}`, ctx);
      r = undefined;
    } finally {
      this.depth--;
      this.current = prevCurrent;
      this.effective = prevEffective;
      if (timed) {
        st.sampledCount++;
        st.sampledMs += performance.now() - t0;
      }
    }
    if (this.depth === 0) {
      if (!this.failed && this.mem && this.mem.byteLength() > this.maxMemoryBytes) {
        this.fail(`${name}: linear memory grew to ${this.mem.byteLength()} bytes, over the cap of ${this.maxMemoryBytes}`, ctx);
      }
      if (this.deferred.length) this.drain();
    }
    return this.failed ? undefined : r;
  }

  /** Run now if no call is in progress, otherwise right after the outermost call returns. */
  runLater(fn: () => void): void {
    if (this.depth > 0) this.deferred.push(fn);
    else fn();
  }

  /** Queue an action for after the current callback (continue, local reply, proxy_done deletion). */
  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  private drain(): void {
    while (this.deferred.length) {
      const fn = this.deferred.shift()!;
      if (this.failed) {
        this.deferred.length = 0;
        return;
      }
      try {
        fn();
      } catch (err) {
        this.log(4, `deferred host action failed: ${errText(err)}`);
      }
    }
  }

  // ---- failure --------------------------------------------------------------------------------

  onFailure(listener: (reason: string) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** Marks the VM failed: never called again; timers and callouts stop; listeners told once. */
  fail(reason: string, ctx?: Context): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = reason;
    const root = rootOf(ctx);
    if (root) root.plugin.traps++;
    this.deferred.length = 0;
    for (const c of this.contexts.roots()) this.stopTimersAndCallouts(c);
    if (root) root.plugin.host.log(4, `wasm VM failed: ${reason}`);
    else this.log(4, `wasm VM failed: ${reason}`);
    for (const l of this.failureListeners) {
      try {
        l(reason);
      } catch {
        // a listener's failure must not hide the VM failure
      }
    }
  }

  // ---- host services used by hostcalls ----------------------------------------------------------

  /** Log through the effective context's plugin, or the VM log outside any context. */
  logFor(level: number, msg: string): void {
    const root = rootOf(this.effective);
    if (root) root.plugin.host.log(level, msg);
    else this.log(level, msg);
  }

  /** The root context whose plugin a hostcall acts for (effective, else the only/first one). */
  anyRoot(): RootContext | undefined {
    const r = rootOf(this.effective);
    if (r) return r;
    return this.contexts.roots()[0];
  }

  /** Single timer per root; re-armed after each on_tick returns (reference §7.8). */
  setTick(root: RootContext, periodMs: number): void {
    if (root.tickTimer) clearTimeout(root.tickTimer);
    root.tickTimer = undefined;
    root.tickPeriodMs = periodMs;
    if (periodMs <= 0 || root.deleted || this.failed) return;
    const timer: NodeJS.Timeout = setTimeout(() => {
      if (root.tickTimer !== timer) return;
      root.tickTimer = undefined;
      if (root.deleted || this.failed) return;
      const onTick = this.exports.proxy_on_tick;
      if (onTick) this.invoke(root, 'proxy_on_tick', onTick, root.id);
      // Re-arm unless on_tick changed the period (which armed its own timer) or the VM failed.
      if (!root.tickTimer && root.tickPeriodMs > 0) this.setTick(root, root.tickPeriodMs);
    }, periodMs);
    timer.unref();
    root.tickTimer = timer;
  }
}

export function errText(e: unknown): string {
  if (e instanceof VmFault) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
