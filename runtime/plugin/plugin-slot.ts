// One configured plugin in the running proxy: its abi/ Plugin plus the failStrategy decisions
// (reference §7.14): close answers 503 at once, open skips the plugin, reload starts a fresh VM
// after an exponential backoff (503 meanwhile).

import type { Plugin } from '../../abi/index.ts';
import type { PluginConfig } from '../config/types.ts';
import type { Logger } from '../log/logger.ts';

/** What a new stream does with this plugin now. */
export const SlotDecision = { Run: 0, Skip: 1, Fail: 2 } as const;
export type SlotDecision = (typeof SlotDecision)[keyof typeof SlotDecision];

/** Reload backoff: Envoy's default base (1 s), doubling up to 30 s. */
export const RELOAD_BACKOFF_BASE_MS = 1000;
export const RELOAD_BACKOFF_MAX_MS = 30_000;

export interface SlotOptions {
  log: Logger;
  backoffBaseMs?: number;
  /** Told of every VM failure (for the trap counter on /metrics). */
  onFailure?: (plugin: string, reason: string) => void;
}

export class PluginSlot {
  readonly config: PluginConfig;
  readonly plugin: Plugin;
  /** Fingerprint of everything that makes a plugin: same fingerprint on reload = reuse. */
  readonly fingerprint: string;
  private readonly opts: SlotOptions;
  private backoffMs: number;
  private reloadTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(config: PluginConfig, plugin: Plugin, fingerprint: string, opts: SlotOptions) {
    this.config = config;
    this.plugin = plugin;
    this.fingerprint = fingerprint;
    this.opts = opts;
    this.backoffMs = opts.backoffBaseMs ?? RELOAD_BACKOFF_BASE_MS;
    this.watch();
  }

  get name(): string {
    return this.config.name;
  }

  private watch(): void {
    this.unsubscribe?.();
    this.unsubscribe = this.plugin.onFailure((reason) => this.onVmFailed(reason));
  }

  private onVmFailed(reason: string): void {
    this.opts.log.error({ plugin: this.name, reason, failStrategy: this.config.failStrategy }, 'plugin failed');
    this.opts.onFailure?.(this.name, reason);
    if (this.config.failStrategy === 'reload') this.scheduleReload();
  }

  /** When the current VM started serving (a VM healthy for a while resets the backoff). */
  private healthySince = Date.now();

  private scheduleReload(): void {
    if (this.closed || this.retiring || this.reloadTimer) return;
    if (Date.now() - this.healthySince > RELOAD_BACKOFF_MAX_MS * 2) this.backoffMs = this.opts.backoffBaseMs ?? RELOAD_BACKOFF_BASE_MS;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RELOAD_BACKOFF_MAX_MS);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      if (this.closed) return;
      try {
        this.plugin.restart();
        this.healthySince = Date.now();
        this.watch();
        this.opts.log.info({ plugin: this.name, restarts: this.plugin.restarts }, 'plugin VM restarted');
      } catch (e) {
        this.opts.log.error({ plugin: this.name, err: (e as Error).message }, 'plugin VM restart failed');
        this.scheduleReload();
      }
    }, delay);
    this.reloadTimer.unref();
  }

  /** For a new stream: run the plugin, skip it (open), or fail the stream (close / reload pending). */
  decide(): SlotDecision {
    if (this.plugin.usable()) return SlotDecision.Run;
    return this.config.failStrategy === 'open' ? SlotDecision.Skip : SlotDecision.Fail;
  }

  /** Streams (HTTP or TCP) using this plugin right now. */
  private active = 0;
  private retiring = false;

  /** A stream starts using the plugin. */
  retain(): void {
    this.active++;
  }

  /** A stream is done with the plugin; a retired slot stops when its last stream ends. */
  release(): void {
    this.active--;
    if (this.retiring && this.active <= 0) this.close();
  }

  /** Removed by a config reload: stop now if idle, else once in-flight streams finished. */
  retire(): void {
    this.retiring = true;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    if (this.active <= 0) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.unsubscribe?.();
    this.plugin.stop();
  }

  describe(): Record<string, unknown> {
    return { ...this.plugin.state(), failStrategy: this.config.failStrategy, path: this.config.path };
  }
}
