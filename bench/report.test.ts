import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checks, tableRows } from './report.ts';
import type { Sample, TargetResult } from './stats.ts';

const MB = 1024 * 1024;

function target(id: string, rps: number, opts: { cpuPct?: number; p99?: number; rss?: [number, number]; non2xx?: number } = {}): TargetResult {
  const cpu = (opts.cpuPct ?? 100) / 100;
  const samples: Sample[] = [10, 50].map((conns) => ({
    rep: 1, conns, durationSec: 10, rps, p50Ms: 1, p99Ms: opts.p99 ?? 2, requests: rps * 10, non2xx: opts.non2xx ?? 0, socketErrors: 0,
    targetCpuSec: 10 * cpu, originCpuSec: 1, wrkCpuSec: 1, machineBusySec: 10 * cpu + 2,
  }));
  return { id, label: id, kind: id, pluginCount: 0, samples, rssIdleBytes: (opts.rss?.[0] ?? 50) * MB, rssAfterBytes: (opts.rss?.[1] ?? 100) * MB };
}

const byName = (cs: ReturnType<typeof checks>, name: string) => cs.find((c) => c.name.startsWith(name))!;

test('ratio checks against the issue targets', () => {
  const cs = checks([
    target('nginx-proxy', 30000, { p99: 1 }),
    target('undici-proxy', 8000),
    target('remora', 10000, { p99: 2.5, rss: [70, 110] }),
  ]);
  assert.equal(byName(cs, 'Remora req/s vs undici').at10, '1.25× (cpu 1.25×)');
  assert.equal(byName(cs, 'Remora req/s vs undici').pass, true);
  assert.equal(byName(cs, 'Remora req/s vs nginx').pass, false); // 0.33×
  assert.equal(byName(cs, 'Remora p99').pass, false); // 2.5×
  assert.equal(byName(cs, 'Remora RSS idle').pass, false);
  assert.equal(byName(cs, 'Remora RSS after').pass, true);
});

test('plugin cost: drop and µs per plugin, verdict on 1/rps when saturated', () => {
  const cs = checks([
    target('remora', 10000),
    target('remora-1plugin', 9000), // 11.1 µs, 10% drop
    target('remora-3plugins', 6000), // 66.7 µs / 3 = 22.2 µs per plugin, 40% drop
  ]);
  const one = byName(cs, 'one header-adding plugin');
  assert.equal(one.pass, true);
  assert.match(one.at50, /^10\.0% · 11\.1 µs/);
  const three = byName(cs, 'chain of three plugins');
  assert.match(three.at10, /22\.2 µs\/plugin/);
  assert.equal(three.pass, false);
});

test('unsaturated targets are judged on measured CPU time and marked †', () => {
  // The plugin target only got 50% CPU: by throughput it looks 50% slower, by CPU time per request equal.
  const cs = checks([target('remora', 10000), target('remora-1plugin', 5000, { cpuPct: 50 })]);
  const one = byName(cs, 'one header-adding plugin');
  assert.match(one.at10, /†/);
  assert.equal(one.pass, true);
});

test('throughput ratios of starved targets are judged on CPU time per request', () => {
  // Remora got half a core: 5,000 req/s measured, but 100 µs of CPU per request like the undici proxy's 125 µs.
  const cs = checks([target('undici-proxy', 8000), target('remora', 5000, { cpuPct: 50 })]);
  const c = byName(cs, 'Remora req/s vs undici');
  assert.equal(c.at10, '0.63× (cpu 1.25×) †');
  assert.equal(c.pass, true);
});

test('a plugin target with error responses fails its check and shows the errors', () => {
  const cs = checks([target('remora', 10000), target('remora-auth-rs256', 10000, { non2xx: 5 })]);
  const auth = byName(cs, 'auth plugin');
  assert.equal(auth.pass, false);
  assert.match(auth.at50, /5 errors/);
  assert.equal(tableRows([target('remora', 10000, { non2xx: 5 })])[0]!.errors, '5 non-2xx, 0 socket');
});
