// Profiles one Node target of the benchmark under load: starts the nginx origin (CPU 1), the
// target under `node --cpu-prof` (CPU 0), warms it up, runs wrk, stops it gracefully so V8
// writes the profile, and prints the summary (bench/cpuprofile.ts).
//   node bench/profile.ts [--target remora|remora-1plugin|undici-proxy|…] [--conns 50] [--duration 10]
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allTargets } from './catalog.ts';
import { summarize, summaryText, type CpuProfile } from './cpuprofile.ts';
import { detectTools, missingToolsAdvice } from './machine.ts';
import { startNginx } from './nginx.ts';
import { freePort, stopProcess, waitFor } from './proc.ts';
import type { StartEnv } from './targets.ts';
import { runWrk } from './wrk.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const id = arg('--target', 'remora');
const conns = Number(arg('--conns', '50'));
const duration = Number(arg('--duration', '10'));

const tools = detectTools();
if (!tools.wrk || !tools.nginx) {
  for (const l of missingToolsAdvice(tools)) console.error(l);
  process.exit(1);
}
const target = (await allTargets(root, true, (t) => t === id)).find((t) => t.id === id);
if (!target || 'skipped' in target || target.kind === 'nginx' || target.kind === 'nginx-proxy') {
  console.error(target && 'skipped' in target ? `${id} skipped: ${target.skipped}` : `--target ${id}: not a Node target of the bench`);
  process.exit(2);
}
const pin = tools.taskset;
const tmp = mkdtempSync(join(tmpdir(), 'remora-profile-'));
const profDir = join(tmp, 'prof');
mkdirSync(join(tmp, 'origin'), { recursive: true });
mkdirSync(profDir);
const origin = await startNginx(join(tmp, 'origin'), await freePort(), { kind: 'origin' }, pin ? '1' : undefined);
const env: StartEnv = {
  root,
  node: process.execPath,
  tmp,
  originPort: origin.port,
  cpu: pin ? '0' : undefined,
  nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
  freePort,
};
const t = await target.start(env);
const url = `http://127.0.0.1:${t.port}/`;
await runWrk({ url, connections: conns, durationSec: 2, headers: target.headers, cpu: pin ? '1' : undefined });
// Only the measured window counts: V8 stamps samples with the same monotonic clock as hrtime.
const fromUs = Number(process.hrtime.bigint() / 1000n);
const res = await runWrk({ url, connections: conns, durationSec: duration, headers: target.headers, cpu: pin ? '1' : undefined });
const toUs = Number(process.hrtime.bigint() / 1000n);
console.log(`${id}: ${Math.round(res.requestsPerSec)} req/s at ${conns} connections (profiling on: slower than the bench)`);
await stopProcess(t.child, 15_000);
await stopProcess(origin.child);
const file = await waitFor('the .cpuprofile (the target must exit cleanly on SIGTERM)', 10_000, () =>
  readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')),
);
const text = summaryText(summarize(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile, { fromUs, toUs }));
const outDir = join(root, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const saved = join(outDir, `${id}.cpuprofile`);
writeFileSync(saved, readFileSync(join(profDir, file)));
writeFileSync(join(outDir, `${id}-profile.md`), `${id}: ${Math.round(res.requestsPerSec)} req/s at ${conns} connections under --cpu-prof\n\n${text}\n`);
console.log(text);
console.log(`\nprofile saved to ${saved} (open it in Chrome DevTools → Performance); summary in bench/out/${id}-profile.md`);
rmSync(tmp, { recursive: true, force: true });
