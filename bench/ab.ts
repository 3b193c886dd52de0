// A/B comparison of one bench target between two checkouts of Remora (e.g. the main tree and a
// copy with a proposed change), measured interleaved so that machine noise hits both alike.
// Reports req/s and CPU time per request for each.
//   node bench/ab.ts --b /tmp/remora-exp [--a /work/main] [--target remora] [--rounds 4] [--duration 5] [--conns 50]
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliArg, prepareSingleTarget } from './single-target.ts';
import { cpuSeconds, freePort, stopProcess } from './proc.ts';
import { median } from './stats.ts';
import type { RunningTarget, StartEnv } from './targets.ts';
import { runWrk } from './wrk.ts';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = cliArg;
const rootB = arg('--b', '');
if (!rootB) {
  console.error('usage: node bench/ab.ts --b DIR [--a DIR] [--target remora] [--rounds 4] [--duration 5] [--conns 50]');
  process.exit(2);
}
const roots = { a: resolve(arg('--a', here)!), b: resolve(rootB) };
const id = arg('--target', 'remora')!;
const rounds = Number(arg('--rounds', '4'));
const duration = Number(arg('--duration', '5'));
const conns = Number(arg('--conns', '50'));

const { target, pin, tmp, origin } = await prepareSingleTarget(here, id, 'remora-ab-');
const running: Partial<Record<'a' | 'b', RunningTarget>> = {};
// Whatever happens, leave no server behind.
const stopAll = async () => {
  for (const t of Object.values(running)) await stopProcess(t.child);
  await stopProcess(origin.child);
};
try {
  for (const side of ['a', 'b'] as const) {
    const dir = join(tmp, side);
    mkdirSync(dir);
    const env: StartEnv = { root: roots[side], node: process.execPath, tmp: dir, originPort: origin.port, cpu: pin ? '0' : undefined, freePort };
    running[side] = await target.start(env);
  }
} catch (e) {
  await stopAll();
  throw e;
}
const results: Record<'a' | 'b', { rps: number[]; cpuUs: number[] }> = { a: { rps: [], cpuUs: [] }, b: { rps: [], cpuUs: [] } };
for (let r = 0; r < rounds; r++) {
  for (const side of r % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
    const t = running[side]!;
    const url = `http://127.0.0.1:${t.port}/`;
    await runWrk({ url, connections: conns, durationSec: 1, headers: target.headers, cpu: pin ? '1' : undefined });
    const c0 = cpuSeconds(t.pid) ?? 0;
    const res = await runWrk({ url, connections: conns, durationSec: duration, headers: target.headers, cpu: pin ? '1' : undefined });
    const cpu = (cpuSeconds(t.pid) ?? c0) - c0;
    results[side].rps.push(res.requestsPerSec);
    results[side].cpuUs.push((cpu / res.requests) * 1e6);
    console.log(`round ${r + 1} ${side}: ${Math.round(res.requestsPerSec)} req/s, ${((cpu / res.requests) * 1e6).toFixed(1)} µs CPU/request, target CPU ${((cpu / duration) * 100).toFixed(0)}%`);
  }
}
for (const side of ['a', 'b'] as const) {
  console.log(`${side} (${roots[side]}): median ${Math.round(median(results[side].rps))} req/s, ${median(results[side].cpuUs).toFixed(1)} µs CPU/request`);
}
await stopAll();
const ratio = median(results.a.cpuUs) / median(results.b.cpuUs);
console.log(`b vs a: ${ratio.toFixed(3)}× requests per CPU-second; req/s ratio ${(median(results.b.rps) / median(results.a.rps)).toFixed(3)}×`);
rmSync(tmp, { recursive: true, force: true });
