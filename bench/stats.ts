// Per-run samples, their medians, and derived per-request costs.

export interface Sample {
  rep: number;
  conns: number;
  durationSec: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  /** CPU seconds used during the run by the target, the origin and wrk. */
  targetCpuSec: number;
  originCpuSec: number;
  wrkCpuSec: number;
  /** Busy CPU seconds of the whole machine (both cores) during the run, from /proc/stat. */
  machineBusySec: number;
}

export interface TargetResult {
  id: string;
  label: string;
  kind: string;
  pluginCount: number;
  rssIdleBytes?: number;
  /** Largest RSS read right after a 50-connection run. */
  rssAfterBytes?: number;
  samples: Sample[];
  error?: string;
}

/** Medians over the repeats of one target at one connection count. */
export interface Cell {
  n: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Target CPU time per request in µs (CPU seconds / requests). */
  cpuUsPerReq: number;
  /** Target CPU use in % of one core (100 = saturated). */
  targetCpuPct: number;
  /** CPU used by processes that are not part of this run (other users), % of one core; highest run. */
  otherCpuPct: number;
  non2xx: number;
  socketErrors: number;
  /** Runs without a single response, left out of the medians. */
  stalledRuns: number;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** CPU used during a sample by processes outside the benchmark, in % of one core. */
export function othersPct(s: Sample): number {
  return Math.max(0, ((s.machineBusySec - s.targetCpuSec - s.originCpuSec - s.wrkCpuSec) / s.durationSec) * 100);
}

export function cell(r: TargetResult, conns: number): Cell | undefined {
  const all = r.samples.filter((s) => s.conns === conns);
  // A run that got no response at all (target or machine stalled) says nothing about speed:
  // it is reported as a stalled run, not averaged in.
  const ss = all.filter((s) => s.requests > 0);
  if (ss.length === 0) return undefined;
  return {
    n: ss.length,
    rps: median(ss.map((s) => s.rps)),
    p50Ms: median(ss.map((s) => s.p50Ms)),
    p99Ms: median(ss.map((s) => s.p99Ms)),
    cpuUsPerReq: median(ss.map((s) => (s.requests > 0 ? (s.targetCpuSec / s.requests) * 1e6 : NaN))),
    targetCpuPct: median(ss.map((s) => (s.targetCpuSec / s.durationSec) * 100)),
    otherCpuPct: Math.max(...ss.map(othersPct)),
    non2xx: ss.reduce((a, s) => a + s.non2xx, 0),
    socketErrors: ss.reduce((a, s) => a + s.socketErrors, 0),
    stalledRuns: all.length - ss.length,
  };
}

/**
 * Extra time per request of `with` over `base`, in µs. At saturation a process on one core
 * spends 1/rps seconds of CPU per request, so the added cost is (1/rps_with − 1/rps_base)·1e6.
 */
export function extraUsPerRequest(rpsWith: number, rpsBase: number): number {
  return (1 / rpsWith - 1 / rpsBase) * 1e6;
}

/** Throughput lost in %, (1 − rps_with / rps_base)·100. */
export function dropPct(rpsWith: number, rpsBase: number): number {
  return (1 - rpsWith / rpsBase) * 100;
}
