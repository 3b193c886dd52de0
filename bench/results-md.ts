// Renders one bench run as bench/RESULTS.md.
import type { BenchRun } from './run.ts';
import { CHECK_HEAD, checkRows, COST_LEGEND, markdownTable, TABLE_HEAD, tableRows, type Check } from './report.ts';
import { median, othersPct } from './stats.ts';

/** The options of the run, as the command line that repeats it. */
function flags(o: BenchRun['options']): string {
  const f: string[] = [];
  if (o.quick) f.push('--quick');
  else {
    if (o.runs !== 3) f.push('--runs', String(o.runs));
    if (o.durationSec !== 10) f.push('--duration', String(o.durationSec));
  }
  if (o.only.length > 0) f.push('--only', o.only.join(','));
  if (!o.pin) f.push('--no-pin');
  if (o.waitQuietSec > 0) f.push('--wait-quiet', String(o.waitQuietSec));
  if (o.record) f.push('--record');
  return f.length > 0 ? ` -- ${f.join(' ')}` : '';
}

export function resultsMarkdown(run: BenchRun, cs: Check[]): string {
  const m = run.machine;
  const o = run.options;
  const busyOthers = Math.max(0, ...run.results.flatMap((r) => r.samples.map(othersPct)));
  // CPU 1's load per request: what the origin and wrk cost, measured on the proxied targets.
  const proxied = run.results.filter((r) => r.kind !== 'nginx').flatMap((r) => r.samples);
  const originUs = median(proxied.filter((s) => s.requests > 0).map((s) => (s.originCpuSec / s.requests) * 1e6));
  const wrkUs = median(proxied.filter((s) => s.requests > 0 && s.wrkCpuSec > 0).map((s) => (s.wrkCpuSec / s.requests) * 1e6));
  const loadSideCap = 1e6 / (originUs + wrkUs);
  const placement = run.pinned
    ? 'each target alone on CPU 0 (taskset); wrk and the origin together on CPU 1. The target gets one whole core, as nginx ' +
      'with one worker does, and the load side (wrk + origin) never steals from it. Measured in this run, the origin costs ' +
      `${originUs.toFixed(1)} µs and wrk ${wrkUs.toFixed(1)} µs of CPU per request, so CPU 1 saturates near ` +
      `${Math.round(loadSideCap).toLocaleString('en-US')} req/s: far above the Node targets, but it can cap nginx proxy_pass ` +
      'and nginx itself (their "target CPU" then stays under 100%).'
    : 'unpinned (no taskset or --no-pin).';
  const lines = [
    '# Benchmark results',
    '',
    `Recorded by \`npm run bench${flags(o)}\` at commit \`${run.commit}\`, ${run.startedAt} → ${run.finishedAt} (UTC).`,
    '',
    '## Machine',
    '',
    `- ${m.nproc} CPUs: ${m.cpuModel}; ${m.memGiB} GiB RAM; Linux ${m.kernel}`,
    `- node ${m.node}, nginx ${m.nginx}, ${m.wrk}`,
    `- load average (1/5/15 min) before: ${run.loadBefore}; after: ${run.loadAfter}`,
    `- CPU used by processes outside the benchmark during a run: up to ${busyOthers.toFixed(0)}% of one core` +
      (busyOthers > 10 ? ' — **the machine was shared with other engineers running tests; figures are noisier than on an idle machine**.' : '.'),
    '',
    '## Method',
    '',
    `- ${o.runs} run(s) of ${o.durationSec} s per target at ${o.conns.join(' and ')} keep-alive connections (wrk -t1 --latency), medians reported; ${o.warmupSec} s warm-up at 50 connections before each target's runs; repeats interleaved over targets.`,
    `- Origin: ${run.origin === 'nginx' ? 'nginx (worker_processes 1, master_process off, access_log off) answering a 35-byte body with `return 200`' : 'node:http fallback (nginx missing)'}. Every proxy forwards to it over keep-alive connections.`,
    `- Placement: ${placement}`,
    '- RSS from /proc/<pid>/status VmRSS: idle 2 s after start (before any load), and the largest value right after a 50-connection run.',
    '- CPU/req: target CPU seconds (utime+stime from /proc/<pid>/stat) divided by requests served. "others CPU": busy CPU of the machine minus target, origin and wrk, in % of one core (highest run).',
    '- Plugin and access-log cost: µs per request = (1/rps_with − 1/rps_base)·1e6. At saturation the target spends 1/rps seconds of CPU per request, so the difference is the time the extra work adds to each request; divided by the number of plugins for the chain. The measured CPU/req difference is shown beside it as a cross-check.',
    '',
    '## Figures',
    '',
    markdownTable(TABLE_HEAD, tableRows(run.results)),
    '',
    '## Ratios and targets',
    '',
    markdownTable(CHECK_HEAD, checkRows(cs)),
    '',
    ...COST_LEGEND.split('\n').map((l) => `- ${l}`),
    '- p50/p99 include queueing behind other processes when the machine is shared; compare latencies only between runs with little "others CPU".',
    '',
    'What limits Remora, with profiles and suggestions: [PROFILE.md](PROFILE.md).',
    '',
  ];
  if (run.skipped.length > 0) {
    lines.push('## Skipped', '', ...run.skipped.map((s) => `- ${s.id}: ${s.skipped}`), '');
  }
  return lines.join('\n');
}
