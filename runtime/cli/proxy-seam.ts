// The data plane as the control plane sees it (runtime/proxy.ts, see the team brief).
import type { Config } from '../config/types.ts';
import type { FilterFactory } from '../filter/types.ts';
import type { Logger } from '../log/logger.ts';
import type { ProxyMetrics } from '../metrics/types.ts';

export interface ProxyHandle {
  start(): Promise<void>;
  addresses(): Map<string, { host: string; port: number }>;
  reload(config: Config): Promise<void>;
  shutdown(graceMs: number): Promise<void>;
}

export type ProxyClass = new (config: Config, deps: { log: Logger; metrics: ProxyMetrics; filters: FilterFactory }) => ProxyHandle;

export async function loadProxy(): Promise<ProxyClass> {
  const specifier = '../proxy.ts';
  const mod = (await import(specifier)) as { Proxy: ProxyClass };
  return mod.Proxy;
}
