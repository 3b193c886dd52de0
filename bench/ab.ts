// Interleaved comparisons on a noisy machine: rounds alternate between the sides, so that machine
// noise hits all of them alike. Reports req/s and CPU time per request for each side.
//   one target from two checkouts (e.g. the main tree and a copy with a proposed change):
//     node bench/ab.ts --b /tmp/remora-exp [--a /work/main] [--target remora]
//   several targets of one checkout (e.g. a plugin's cost against the route without it):
//     node bench/ab.ts --targets remora,remora-auth-rs256 [--a /work/main]
//   both: [--rounds 4] [--duration 5] [--conns 50]
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliArg, prepareTargets } from './single-target.ts';
import { cpuSeconds, freePort, stopProcess } from './proc.ts';
import { median } from './stats.ts';
import type { RunningTarget, StartEnv, Target } from './targets.ts';
import { runWrk } from './wrk.ts';

const USAGE = 'usage: node bench/ab.ts (--b DIR [--target remora] | --targets ID,ID...) [--a DIR] [--rounds 4] [--duration 5] [--conns 50]';
const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootA = resolve(cliArg('--a', here));
const rootB = cliArg('--b', '');
const ids = cliArg('--targets', '').split(',').filter(Boolean);
// Exactly one of the two modes, and at least two targets to compare.
if ((rootB ? 1 : 0) + (ids.length > 0 ? 1 : 0) !== 1 || ids.length === 1) {
  console.error(USAGE);
  process.exit(2);
}
const rounds = Number(cliArg('--rounds', '4'));
const duration = Number(cliArg('--duration', '5'));
const conns = Number(cliArg('--conns', '50'));

interface Side {
  label: string;
  root: string;
  target: Target;
  running?: RunningTarget;
  rps: number[];
  cpuUs: number[];
}

const { targets, pin, tmp, origin } = await prepareTargets(here, ids.length > 0 ? ids : [cliArg('--target', 'remora')], 'remora-ab-');
const sides: Side[] =
  ids.length > 0
    ? targets.map((target) => ({ label: target.id, root: rootA, target, rps: [], cpuUs: [] }))
    : [
        { label: `a ${rootA}`, root: rootA, target: targets[0]!, rps: [], cpuUs: [] },
        { label: `b ${resolve(rootB)}`, root: resolve(rootB), target: targets[0]!, rps: [], cpuUs: [] },
      ];
// Whatever happens, leave no server behind.
const stopAll = async () => {
  for (const s of sides) if (s.running) await stopProcess(s.running.child);
  await stopProcess(origin.child);
};
try {
  for (const [i, side] of sides.entries()) {
    const dir = join(tmp, String(i));
    mkdirSync(dir);
    const env: StartEnv = { root: side.root, node: process.execPath, tmp: dir, originPort: origin.port, cpu: pin ? '0' : undefined, freePort };
    side.running = await side.target.start(env);
  }
} catch (e) {
  await stopAll();
  throw e;
}
for (let r = 0; r < rounds; r++) {
  // Alternate the order too, so that no side always runs right after the same neighbour.
  for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
    const t = side.running!;
    const url = `http://127.0.0.1:${t.port}/`;
    const load = { url, connections: conns, headers: side.target.headers, cpu: pin ? '1' : undefined };
    await runWrk({ ...load, durationSec: 1 });
    const c0 = cpuSeconds(t.pid) ?? 0;
    const res = await runWrk({ ...load, durationSec: duration });
    const cpu = (cpuSeconds(t.pid) ?? c0) - c0;
    const cpuUs = (cpu / res.requests) * 1e6;
    side.rps.push(res.requestsPerSec);
    side.cpuUs.push(cpuUs);
    const errors = res.non2xx + res.socketErrors;
    console.log(`round ${r + 1} ${side.label}: ${Math.round(res.requestsPerSec)} req/s, ${cpuUs.toFixed(1)} µs CPU/request, target CPU ${((cpu / duration) * 100).toFixed(0)}%${errors ? `, ${errors} errors` : ''}`);
  }
}
await stopAll();
const first = sides[0]!;
for (const side of sides) {
  const line = `${side.label}: median ${Math.round(median(side.rps))} req/s, ${median(side.cpuUs).toFixed(1)} µs CPU/request`;
  if (side === first) {
    console.log(line);
    continue;
  }
  // Per-round differences as well as the difference of medians: each round's pair saw the same noise.
  const diffs = side.cpuUs.map((v, i) => v - first.cpuUs[i]!);
  console.log(
    `${line}; vs ${first.label}: ${(median(side.cpuUs) - median(first.cpuUs)).toFixed(1)} µs CPU/request ` +
      `(per round ${diffs.map((d) => d.toFixed(0)).join(', ')}), req/s ${(median(side.rps) / median(first.rps)).toFixed(3)}×`,
  );
}
rmSync(tmp, { recursive: true, force: true });
