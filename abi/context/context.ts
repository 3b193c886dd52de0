// Root (plugin) and stream contexts as plain data (reference §1.1). A stream context carries the
// header maps and buffers the embedder exposes to the plugin: `maps[MapType]` and
// `buffers[BufferType]` for the four HTTP maps and four stream buffers; `undefined` = not available
// now. Hostcalls mutate them in place (maps) or replace them (buffers); the embedder reads them back.

import type { CalloutHandle, GrpcStreamHandle, PluginHost, StreamHost } from '../host.ts';
import type { HeaderPairs } from '../types.ts';
import type { QueueTarget } from '../shared/shared-queue.ts';
import { IdTable } from './id-table.ts';

/**
 * Count and time of one callback kind, for the admin /plugins view. Every call is counted; one
 * call in TIMING_SAMPLE is timed (reading the clock costs as much as a small callback), and the
 * cumulative time is extrapolated from those samples.
 */
export interface CallbackStat {
  count: number;
  sampledCount: number;
  sampledMs: number;
}

export const TIMING_SAMPLE = 8;

/** Estimated cumulative milliseconds spent in a callback kind. */
export function totalMs(st: CallbackStat): number {
  return st.sampledCount === 0 ? 0 : (st.sampledMs * st.count) / st.sampledCount;
}

/** What a root context knows about the configured plugin it serves. */
export interface PluginBinding {
  readonly name: string;
  readonly rootId: string;
  readonly vmId: string;
  readonly config: Uint8Array;
  readonly vmConfig: Uint8Array;
  readonly host: PluginHost;
  /** Per-callback statistics, keyed by export name. */
  readonly stats: Map<string, CallbackStat>;
  /** Traps (and host-detected faults) in calls made for this plugin. */
  traps: number;
}

export class RootContext {
  readonly kind = 'root' as const;
  readonly id: number;
  readonly plugin: PluginBinding;
  tickPeriodMs = 0;
  tickTimer: NodeJS.Timeout | undefined = undefined;
  /** on_done returned false: deletion waits for proxy_done(). */
  pendingDone = false;
  deleted = false;
  /** Outstanding callouts owned by this root, by token. */
  readonly callouts = new IdTable<CalloutHandle | GrpcStreamHandle>();
  /** Where shared queues this root registered deliver proxy_on_queue_ready (one per root, reused). */
  queueTarget: QueueTarget | undefined = undefined;

  constructor(id: number, plugin: PluginBinding) {
    this.id = id;
    this.plugin = plugin;
  }
}

export class StreamContext {
  readonly kind = 'stream' as const;
  readonly id: number;
  readonly root: RootContext;
  readonly host: StreamHost;
  /** Indexed by MapType 0..3: request headers, request trailers, response headers, response trailers. */
  readonly maps: Array<HeaderPairs | undefined> = [undefined, undefined, undefined, undefined];
  /** Indexed by BufferType 0..3: request body, response body, downstream data, upstream data. */
  readonly buffers: Array<Uint8Array | undefined> = [undefined, undefined, undefined, undefined];
  /** Maps are read-only (on_log). */
  readOnly = false;
  /** MapType of the trailers the running end-of-stream body callback may create, -1 for none. */
  trailersOffer = -1;
  /** proxy_send_local_response was called during the current callback. */
  localReplySent = false;
  /** Values written by proxy_set_property (Envoy filter state `wasm.<path>`). */
  filterState: Map<string, Uint8Array> | undefined = undefined;
  /** on_context_create was called (so on_done/on_delete are owed). */
  created = false;
  deleted = false;

  constructor(id: number, root: RootContext, host: StreamHost) {
    this.id = id;
    this.root = root;
    this.host = host;
  }
}

export type Context = RootContext | StreamContext;

export function rootOf(ctx: Context | undefined): RootContext | undefined {
  if (!ctx) return undefined;
  return ctx.kind === 'root' ? ctx : ctx.root;
}
