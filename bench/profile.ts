// Profiles one proxy under load: starts the nginx origin (CPU 1), the target under
// `node --cpu-prof` (CPU 0), warms it up, runs wrk, stops it gracefully so V8 writes the
// profile, and prints the summary (bench/cpuprofile.ts).
//   node bench/profile.ts [--target remora|undici-proxy] [--conns 50] [--duration 10] [--access-log]
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize, summaryText, type CpuProfile } from './cpuprofile.ts';
import { detectTools, missingToolsAdvice } from './machine.ts';
import { startNginx } from './nginx.ts';
import { freePort, stopProcess, waitFor } from './proc.ts';
import { startRemora } from './remora-target.ts';
import { startAddressPrintingScript, type RunningTarget } from './targets.ts';
import { runWrk } from './wrk.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const target = arg('--target', 'remora');
const conns = Number(arg('--conns', '50'));
const duration = Number(arg('--duration', '10'));
const accessLog = process.argv.includes('--access-log');

const tools = detectTools();
if (!tools.wrk || !tools.nginx) {
  for (const l of missingToolsAdvice(tools)) console.error(l);
  process.exit(1);
}
const pin = tools.taskset;
const tmp = mkdtempSync(join(tmpdir(), 'remora-profile-'));
const profDir = join(tmp, 'prof');
mkdirSync(profDir);
const flags = [`--cpu-prof`, `--cpu-prof-dir=${profDir}`];
const originDir = join(tmp, 'origin');
mkdirSync(originDir);
const origin = await startNginx(originDir, await freePort(), { kind: 'origin' }, pin ? '1' : undefined);
let t: RunningTarget;
if (target === 'remora') {
  const r = await startRemora(
    { root, dir: tmp, node: process.execPath, cpu: pin ? '0' : undefined, nodeFlags: flags },
    { originPort: origin.port, accessLog, plugins: [], routePlugins: [] },
  );
  t = { pid: r.child.pid!, port: r.port, child: r.child };
} else if (target === 'undici-proxy') {
  const env = { root, node: process.execPath, tmp, originPort: origin.port, cpu: pin ? '0' : undefined, freePort };
  t = await startAddressPrintingScript(env, 'undici-proxy', join(root, 'bench', 'undici-proxy.ts'), [`http://127.0.0.1:${origin.port}`], env.cpu, flags);
} else {
  console.error(`unknown --target ${target} (remora | undici-proxy)`);
  process.exit(2);
}
const url = `http://127.0.0.1:${t.port}/`;
await runWrk({ url, connections: conns, durationSec: 2, cpu: pin ? '1' : undefined });
const res = await runWrk({ url, connections: conns, durationSec: duration, cpu: pin ? '1' : undefined });
console.log(`${target}: ${Math.round(res.requestsPerSec)} req/s at ${conns} connections (profiling on: slower than the bench)`);
await stopProcess(t.child, 15_000);
await stopProcess(origin.child);
const file = await waitFor('the .cpuprofile', 10_000, () => readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')));
const text = summaryText(summarize(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile));
const outDir = join(root, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const saved = join(outDir, `${target}${accessLog ? '-accesslog' : ''}.cpuprofile`);
writeFileSync(saved, readFileSync(join(profDir, file)));
writeFileSync(join(outDir, `${target}${accessLog ? '-accesslog' : ''}-profile.md`), text);
console.log(text);
console.log(`\nprofile saved to ${saved} (open it in Chrome DevTools → Performance)`);
rmSync(tmp, { recursive: true, force: true });
