// Turns results into the table, the ratio checks against the issue targets, and RESULTS.md text.
import { cell, dropPct, extraUsPerRequest, type Cell, type TargetResult } from './stats.ts';

export const CONNS = [10, 50] as const;
const MB = 1024 * 1024;

export interface Check {
  name: string;
  /** Measured value per connection count ("" when the check has one value). */
  at10: string;
  at50: string;
  target: string;
  /** undefined: could not be evaluated (a target missing or skipped). */
  pass: boolean | undefined;
  note?: string;
}

const fmtRps = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const fmtMs = (x: number) => (!Number.isFinite(x) ? '—' : x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`);
const fmtMB = (b: number | undefined) => (b === undefined ? '—' : `${(b / MB).toFixed(1)} MB`);
const fmtX = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}×`);
const fmtUs = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(1)} µs`);
const fmtPct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(1)}%`);

export interface TableRow {
  target: string;
  conns: string;
  rps: string;
  p50: string;
  p99: string;
  cpuUs: string;
  cpu: string;
  other: string;
  rssIdle: string;
  rssAfter: string;
  errors: string;
}

export const TABLE_HEAD: TableRow = {
  target: 'target',
  conns: 'conns',
  rps: 'req/s',
  p50: 'p50',
  p99: 'p99',
  cpuUs: 'CPU/req',
  cpu: 'target CPU',
  other: 'others CPU',
  rssIdle: 'RSS idle',
  rssAfter: 'RSS after 50c',
  errors: 'errors',
};

export function tableRows(results: TargetResult[]): TableRow[] {
  const rows: TableRow[] = [];
  for (const r of results) {
    if (r.error) {
      rows.push({ ...blankRow(), target: r.id, errors: `failed: ${r.error.split('\n')[0]}` });
      continue;
    }
    for (const c of CONNS) {
      const x = cell(r, c);
      if (!x) continue;
      rows.push({
        target: r.id,
        conns: String(c),
        rps: fmtRps(x.rps),
        p50: fmtMs(x.p50Ms),
        p99: fmtMs(x.p99Ms),
        cpuUs: fmtUs(x.cpuUsPerReq),
        cpu: `${x.targetCpuPct.toFixed(0)}%`,
        other: `${x.otherCpuPct.toFixed(0)}%`,
        rssIdle: c === 10 ? fmtMB(r.rssIdleBytes) : '',
        rssAfter: c === 50 ? fmtMB(r.rssAfterBytes) : '',
        errors:
          [x.non2xx + x.socketErrors > 0 ? `${x.non2xx} non-2xx, ${x.socketErrors} socket` : '', x.stalledRuns > 0 ? `${x.stalledRuns} stalled run(s)` : '']
            .filter(Boolean)
            .join('; ') || '0',
      });
    }
  }
  return rows;
}

function blankRow(): TableRow {
  return { target: '', conns: '', rps: '', p50: '', p99: '', cpuUs: '', cpu: '', other: '', rssIdle: '', rssAfter: '', errors: '' };
}

type Lookup = (id: string, conns: number) => Cell | undefined;

/**
 * Throughput ratio num/den per connection count. When both ran CPU-bound it is the req/s ratio;
 * otherwise (a busy machine starved one of them) the ratio of requests per CPU-second, marked †.
 */
function throughputCheck(get: Lookup, name: string, num: string, den: string, target: string, ok: (x: number) => boolean): Check {
  const vals = CONNS.map((c) => {
    const a = get(num, c);
    const b = get(den, c);
    if (!a || !b) return undefined;
    const saturated = Math.min(a.targetCpuPct, b.targetCpuPct) >= SATURATED_PCT;
    return { rps: a.rps / b.rps, cpu: b.cpuUsPerReq / a.cpuUsPerReq, saturated };
  });
  const show = (v: (typeof vals)[number]) => (v === undefined ? '—' : `${fmtX(v.rps)} (cpu ${fmtX(v.cpu)})${v.saturated ? '' : ' †'}`);
  return {
    name,
    at10: show(vals[0]),
    at50: show(vals[1]),
    target,
    pass: vals.every((v) => v !== undefined) ? vals.every((v) => ok(v!.saturated ? v!.rps : v!.cpu)) : undefined,
  };
}

/** Below this target CPU use the rps-based cost is not a CPU cost (the target waited); use measured CPU time. */
export const SATURATED_PCT = 90;

/**
 * Cost of `id` over the `base` route: throughput drop and µs per request (per plugin when
 * plugins > 1). The verdict uses (1/rps_with − 1/rps_base) when both targets were CPU-bound,
 * else the measured CPU-time difference (marked †).
 */
function costCheck(get: Lookup, name: string, id: string, base: string, per: number, target: { dropPct?: number; us?: number }): Check {
  const costs = CONNS.map((c) => {
    const a = get(id, c);
    const b = get(base, c);
    if (!a || !b) return undefined;
    const saturated = Math.min(a.targetCpuPct, b.targetCpuPct) >= SATURATED_PCT;
    const us = extraUsPerRequest(a.rps, b.rps) / per;
    const cpuUs = (a.cpuUsPerReq - b.cpuUsPerReq) / per;
    const drop = dropPct(a.rps, b.rps);
    // Unsaturated: infer the drop from CPU time per request as well.
    const cpuDrop = (1 - b.cpuUsPerReq / a.cpuUsPerReq) * 100;
    return { drop, us, cpuUs, saturated, errors: a.non2xx + a.socketErrors, verdictUs: saturated ? us : cpuUs, verdictDrop: saturated ? drop : cpuDrop };
  });
  const show = (x: (typeof costs)[number]) =>
    x === undefined
      ? '—'
      : `${fmtPct(x.drop)} · ${fmtUs(x.us)}${per > 1 ? '/plugin' : ''} (cpu ${fmtUs(x.cpuUs)})${x.saturated ? '' : ' †'}${x.errors ? ` ${x.errors} errors` : ''}`;
  const parts: string[] = [];
  if (target.dropPct !== undefined) parts.push(`drop ≤ ${target.dropPct}%`);
  if (target.us !== undefined) parts.push(`≤ ${target.us} µs`);
  const evaluable = costs.every((x) => x !== undefined);
  const pass =
    parts.length === 0 || !evaluable
      ? undefined
      : costs.every(
          (x) =>
            x!.errors === 0 &&
            (target.dropPct === undefined || x!.verdictDrop <= target.dropPct) &&
            (target.us === undefined || x!.verdictUs <= target.us),
        );
  return { name, at10: show(costs[0]), at50: show(costs[1]), target: parts.join(', ') || 'report only', pass };
}

export function checks(results: TargetResult[]): Check[] {
  const byId = new Map(results.filter((r) => !r.error).map((r) => [r.id, r]));
  const get: Lookup = (id, c) => {
    const r = byId.get(id);
    return r ? cell(r, c) : undefined;
  };
  const out: Check[] = [
    throughputCheck(get, 'Remora req/s vs undici proxy', 'remora', 'undici-proxy', '≥ 1.20×', (x) => x >= 1.2),
    throughputCheck(get, 'Remora req/s vs nginx proxy_pass', 'remora', 'nginx-proxy', '≥ 0.40×', (x) => x >= 0.4),
  ];
  const p99 = (() => {
    const a = get('remora', 10);
    const b = get('nginx-proxy', 10);
    return a && b ? a.p99Ms / b.p99Ms : undefined;
  })();
  out.push({ name: 'Remora p99 @10 conns vs nginx proxy_pass', at10: fmtX(p99), at50: '', target: '≤ 2.00×', pass: p99 === undefined ? undefined : p99 <= 2 });
  const rem = byId.get('remora');
  out.push({
    name: 'Remora RSS idle',
    at10: fmtMB(rem?.rssIdleBytes),
    at50: '',
    target: '< 60 MB',
    pass: rem?.rssIdleBytes === undefined ? undefined : rem.rssIdleBytes < 60 * MB,
  });
  out.push({
    name: 'Remora RSS after 50 conns',
    at10: '',
    at50: fmtMB(rem?.rssAfterBytes),
    target: '< 120 MB',
    pass: rem?.rssAfterBytes === undefined ? undefined : rem.rssAfterBytes < 120 * MB,
  });
  out.push(costCheck(get, 'access log on vs off', 'remora-accesslog', 'remora', 1, {}));
  if (byId.has('remora-1plugin')) out.push(costCheck(get, 'one header-adding plugin', 'remora-1plugin', 'remora', 1, { dropPct: 15 }));
  if (byId.has('remora-3plugins')) out.push(costCheck(get, 'chain of three plugins', 'remora-3plugins', 'remora', 3, { dropPct: 35 }));
  const firstParty: [string, string, number][] = [
    ['remora-header-router', 'header-router plugin', 40],
    ['remora-rate-limit', 'rate-limit plugin', 40],
    ['remora-auth-rs256', 'auth plugin (RS256 JWT, token cache hit)', 80],
    ['remora-auth-rs256-nocache', 'auth plugin (RS256 JWT verified each request)', 80],
  ];
  for (const [id, name, us] of firstParty) if (byId.has(id)) out.push(costCheck(get, name, id, 'remora', 1, { us }));
  for (const r of results) {
    if (r.id.endsWith('-proxy-runtime') && !r.error) out.push(costCheck(get, 'same plugin, @solo-io/proxy-runtime SDK', r.id, 'remora', 1, {}));
  }
  return out;
}

export const COST_LEGEND = [
  'ratios: req/s ratio (cpu: ratio of requests per CPU-second, i.e. inverse CPU time per request)',
  'cost columns: throughput drop · µs per request = (1/rps_with − 1/rps_base)·1e6 (cpu: measured target CPU µs per request, with − base)',
  `† a target ran below ${SATURATED_PCT}% CPU (machine busy or load side limiting): its verdict uses the measured CPU time instead of req/s`,
].join('\n');

export const verdict = (p: boolean | undefined) => (p === undefined ? 'n/a' : p ? 'PASS' : 'FAIL');

/** Fixed-width text table for the terminal. */
export function textTable<T extends object>(head: T, rows: T[]): string {
  const keys = Object.keys(head) as (keyof T)[];
  const width = keys.map((k) => Math.max(String(head[k]).length, ...rows.map((r) => String(r[k]).length)));
  const line = (r: T) => keys.map((k, i) => String(r[k]).padEnd(width[i]!)).join('  ').trimEnd();
  return [line(head), keys.map((_, i) => '-'.repeat(width[i]!)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable<T extends object>(head: T, rows: T[]): string {
  const keys = Object.keys(head) as (keyof T)[];
  const line = (r: T) => `| ${keys.map((k) => String(r[k]) || ' ').join(' | ')} |`;
  return [line(head), `|${keys.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

export interface CheckRow {
  check: string;
  at10: string;
  at50: string;
  target: string;
  result: string;
}

export function checkRows(cs: Check[]): CheckRow[] {
  return cs.map((c) => ({ check: c.name, at10: c.at10, at50: c.at50, target: c.target, result: verdict(c.pass) }));
}

export const CHECK_HEAD: CheckRow = { check: 'check', at10: '@10 conns', at50: '@50 conns', target: 'target', result: 'result' };
