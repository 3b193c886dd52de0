// `npm run bench`: the side-by-side benchmark on loopback. nginx serving the body, nginx
// proxy_pass, a minimal undici proxy and Remora (without and with plugins) each run as one
// process pinned to CPU 0; wrk and the nginx origin share CPU 1. See bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectTools, machineInfo, missingToolsAdvice, type MachineInfo } from './machine.ts';
import { probeResponse, startNginx } from './nginx.ts';
import { parseOptions, type BenchOptions } from './options.ts';
import { allTargets } from './catalog.ts';
import { cpuSeconds, freePort, loadAverage, rssBytes, sleep, stopProcess } from './proc.ts';
import { CHECK_HEAD, checkRows, checks, COST_LEGEND, TABLE_HEAD, tableRows, textTable } from './report.ts';
import { resultsMarkdown } from './results-md.ts';
import { othersPct, type Sample, type TargetResult } from './stats.ts';
import {
  startAddressPrintingScript,
  stopTarget,
  type RunningTarget,
  type SkippedTarget,
  type StartEnv,
  type Target,
} from './targets.ts';
import { runWrk } from './wrk.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** CPU placement: the measured target alone on CPU 0; wrk and the origin it needs on CPU 1. */
const CPU_TARGET = '0';
const CPU_LOAD = '1';

function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) / 100;
}

interface Origin {
  port: number;
  pid: number;
  stop(): Promise<void>;
  kind: 'nginx' | 'node';
}

async function startOrigin(env: StartEnv, useNginx: boolean, cpu: string | undefined): Promise<Origin> {
  if (useNginx) {
    const dir = join(env.tmp, 'origin');
    mkdirSync(dir, { recursive: true });
    const n = await startNginx(dir, await freePort(), { kind: 'origin' }, cpu);
    return { port: n.port, pid: n.child.pid!, kind: 'nginx', stop: () => stopProcess(n.child) };
  }
  const t = await startAddressPrintingScript(env, 'origin', join(root, 'bench', 'node-origin.ts'), [], cpu);
  return { port: t.port, pid: t.pid, kind: 'node', stop: () => stopTarget(t) };
}

async function measure(t: Target, r: RunningTarget, origin: Origin, conns: number, durationSec: number, cpuLoad: string | undefined, rep: number): Promise<Sample> {
  const t0 = cpuSeconds(r.pid) ?? 0;
  const o0 = cpuSeconds(origin.pid) ?? 0;
  const m0 = machineBusySeconds();
  let wrkPid = 0;
  let wrkCpu = 0;
  const poll = setInterval(() => {
    if (wrkPid) wrkCpu = cpuSeconds(wrkPid) ?? wrkCpu;
  }, 200);
  try {
    const res = await runWrk({
      url: `http://127.0.0.1:${r.port}/`,
      connections: conns,
      durationSec,
      headers: t.headers,
      cpu: cpuLoad,
      onSpawn: (pid) => (wrkPid = pid),
    });
    return {
      rep,
      conns,
      durationSec,
      rps: res.requestsPerSec,
      p50Ms: res.p50Ms,
      p99Ms: res.p99Ms,
      requests: res.requests,
      non2xx: res.non2xx,
      socketErrors: res.socketErrors,
      targetCpuSec: (cpuSeconds(r.pid) ?? t0) - t0,
      originCpuSec: (cpuSeconds(origin.pid) ?? o0) - o0,
      // wrk's last reading is up to 200 ms old; close enough to subtract from the machine's busy time.
      wrkCpuSec: wrkCpu,
      machineBusySec: machineBusySeconds() - m0,
    };
  } finally {
    clearInterval(poll);
  }
}

/** Busy CPU of processes other than `ours` over one second, in % of one core. */
async function othersBusyPct(ours: number[]): Promise<number> {
  const ourCpu = () => ours.reduce((a, pid) => a + (cpuSeconds(pid) ?? 0), 0);
  const m0 = machineBusySeconds();
  const c0 = ourCpu();
  await sleep(1000);
  return Math.max(0, (machineBusySeconds() - m0 - (ourCpu() - c0)) * 100);
}

/** Waits (up to `maxSec`) until the rest of the machine uses under 25% of a core. */
async function waitQuiet(maxSec: number, ours: number[]): Promise<void> {
  const deadline = Date.now() + maxSec * 1000;
  let busy = await othersBusyPct(ours);
  if (busy < 25) return;
  process.stdout.write(`  waiting for a quiet machine (others at ${busy.toFixed(0)}% of a core)`);
  while (busy >= 25 && Date.now() < deadline) {
    busy = await othersBusyPct(ours);
  }
  console.log(busy < 25 ? ' — quiet' : ` — gave up after ${maxSec} s (others at ${busy.toFixed(0)}%)`);
}

function gitHead(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

export interface BenchRun {
  startedAt: string;
  finishedAt: string;
  options: BenchOptions;
  machine: MachineInfo;
  commit: string;
  loadBefore: string;
  loadAfter: string;
  origin: 'nginx' | 'node';
  pinned: boolean;
  results: TargetResult[];
  skipped: SkippedTarget[];
}

async function main(): Promise<number> {
  let o: BenchOptions;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const tools = detectTools();
  const advice = missingToolsAdvice(tools);
  for (const l of advice) console.error(l);
  if (!tools.wrk) {
    console.error('bench: cannot run without wrk; nothing was measured.');
    return 1;
  }
  const pinned = o.pin && tools.taskset;
  const cpuTarget = pinned ? CPU_TARGET : undefined;
  const cpuLoad = pinned ? CPU_LOAD : undefined;
  const machine = machineInfo(tools);
  const startedAt = new Date().toISOString();
  const loadBefore = loadAverage();
  console.log(`remora bench ${o.quick ? '(quick) ' : ''}— ${o.runs} run(s) × ${o.durationSec} s at ${o.conns.join(' and ')} connections; warm-up ${o.warmupSec} s`);
  console.log(`machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memGiB} GiB, node ${machine.node}, nginx ${machine.nginx}, ${machine.wrk}`);
  console.log(`load average before: ${loadBefore}${pinned ? '; targets pinned to CPU 0, wrk and origin to CPU 1' : '; unpinned'}`);

  const tmp = mkdtempSync(join(tmpdir(), 'remora-bench-'));
  const env: StartEnv = { root, node: process.execPath, tmp, originPort: 0, cpu: cpuTarget, freePort };
  let origin: Origin | undefined;
  const running: { t: Target; r: RunningTarget; result: TargetResult }[] = [];
  const results: TargetResult[] = [];
  const skipped: SkippedTarget[] = [];
  try {
    origin = await startOrigin(env, tools.nginx, cpuLoad);
    env.originPort = origin.port;
    if (origin.kind === 'node') console.log('origin: node:http fallback (nginx missing); proxies are measured against a slower origin');

    const wanted = (id: string) => o.only.length === 0 || o.only.includes(id);
    for (const t of await allTargets(root, tools.nginx, wanted)) {
      if (!wanted(t.id)) continue;
      if ('skipped' in t) {
        skipped.push(t);
        console.log(`skipped: ${t.id}: ${t.skipped}`);
        continue;
      }
      const result: TargetResult = { id: t.id, label: t.label, kind: t.kind, pluginCount: t.pluginCount, samples: [] };
      results.push(result);
      try {
        const r = await t.start(env);
        const res = await probeResponse(r.port, t.headers);
        if (res?.status !== 200) throw new Error(`GET / answered ${res?.status ?? 'nothing'} instead of 200`);
        if (t.expectHeader && res.headers[t.expectHeader[0]] !== t.expectHeader[1]) {
          throw new Error(`response lacks ${t.expectHeader[0]}: ${t.expectHeader[1]} (the plugin did not run); got ${JSON.stringify(res.headers)}`);
        }
        running.push({ t, r, result });
      } catch (e) {
        result.error = (e as Error).message;
        console.log(`failed: ${t.id}: ${result.error.split('\n').slice(0, 6).join('\n  ')}`);
      }
    }
    await sleep(2000);
    for (const { r, result } of running) result.rssIdleBytes = rssBytes(r.pid);

    // Repeats are interleaved over targets so that a burst of load from other users of the
    // machine spreads over all targets instead of skewing one.
    for (let rep = 1; rep <= o.runs; rep++) {
      for (const { t, r, result } of running) {
        if (result.error) continue;
        try {
          if (o.waitQuietSec > 0) await waitQuiet(o.waitQuietSec, running.map((x) => x.r.pid).concat(origin.pid));
          await runWrk({ url: `http://127.0.0.1:${r.port}/`, connections: 50, durationSec: o.warmupSec, headers: t.headers, cpu: cpuLoad });
          for (const conns of o.conns) {
            const s = await measure(t, r, origin, conns, o.durationSec, cpuLoad, rep);
            result.samples.push(s);
            if (conns === 50) result.rssAfterBytes = Math.max(result.rssAfterBytes ?? 0, rssBytes(r.pid) ?? 0);
            const errs =
              (s.non2xx + s.socketErrors > 0 ? `  errors: ${s.non2xx} non-2xx, ${s.socketErrors} socket` : '') +
              (s.requests === 0 ? '  no response in the whole run (target or machine stalled): left out of the medians' : '');
            console.log(
              `  run ${rep}/${o.runs} ${t.id.padEnd(28)} c=${String(conns).padEnd(3)} ${Math.round(s.rps).toString().padStart(7)} req/s  p50 ${s.p50Ms.toFixed(3)} ms  p99 ${s.p99Ms.toFixed(3)} ms  target cpu ${((s.targetCpuSec / s.durationSec) * 100).toFixed(0)}%${errs}`,
            );
          }
        } catch (e) {
          result.error = (e as Error).message;
          console.log(`failed: ${t.id}: ${result.error}`);
        }
      }
    }
  } finally {
    for (const { r } of running) await stopTarget(r);
    if (origin) await origin.stop();
  }
  const loadAfter = loadAverage();
  const run: BenchRun = {
    startedAt,
    finishedAt: new Date().toISOString(),
    options: o,
    machine,
    commit: gitHead(),
    loadBefore,
    loadAfter,
    origin: origin?.kind ?? 'nginx',
    pinned,
    results,
    skipped,
  };
  rmSync(tmp, { recursive: true, force: true });

  const cs = checks(results);
  console.log(`\nload average after: ${loadAfter}\n`);
  console.log(textTable(TABLE_HEAD, tableRows(results)));
  console.log('');
  console.log(textTable(CHECK_HEAD, checkRows(cs)));
  for (const s of skipped) console.log(`skipped: ${s.id}: ${s.skipped}`);
  console.log(COST_LEGEND);
  const others = Math.max(0, ...results.flatMap((r) => r.samples.map(othersPct)));
  if (others > 20) console.log(`\nnote: other processes used up to ${others.toFixed(0)}% of a core during the runs (shared machine): figures are noisy; re-run when the machine is quiet.`);

  const outDir = join(root, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'last-run.json'), JSON.stringify(run, null, 2));
  writeFileSync(join(outDir, 'last-run.md'), resultsMarkdown(run, cs));
  if (o.record) {
    writeFileSync(join(root, 'bench', 'RESULTS.md'), resultsMarkdown(run, cs));
    console.log('wrote bench/RESULTS.md');
  } else {
    console.log('wrote bench/out/last-run.json and bench/out/last-run.md');
  }
  return 0;
}

process.exitCode = await main();
