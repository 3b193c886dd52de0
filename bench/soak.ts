// Watches a target's RSS across repeated load rounds: a leak shows as growth that does not level off.
//   node bench/soak.ts [--target remora-1plugin] [--rounds 6] [--duration 5] [--conns 50] [--node-flags "--import x.mjs"]
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliArg, prepareSingleTarget } from './single-target.ts';
import { freePort, rssBytes, sleep, stopProcess } from './proc.ts';
import type { StartEnv } from './targets.ts';
import { runWrk } from './wrk.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = cliArg;
const id = arg('--target', 'remora-1plugin');
const rounds = Number(arg('--rounds', '6'));
const duration = Number(arg('--duration', '5'));
const conns = Number(arg('--conns', '50'));

const { target, pin, tmp, origin } = await prepareSingleTarget(root, id, 'remora-soak-');
const nodeFlags = arg('--node-flags', '').split(' ').filter(Boolean);
const env: StartEnv = { root, node: process.execPath, tmp, originPort: origin.port, cpu: pin ? '0' : undefined, nodeFlags, freePort };
const t = await target.start(env);
const mb = (b: number | undefined) => `${((b ?? 0) / 2 ** 20).toFixed(1)} MB`;
console.log(`${id}: idle RSS ${mb(rssBytes(t.pid))}`);
let total = 0;
for (let r = 1; r <= rounds; r++) {
  const res = await runWrk({ url: `http://127.0.0.1:${t.port}/`, connections: conns, durationSec: duration, headers: target.headers, cpu: pin ? '1' : undefined });
  total += res.requests;
  const after = rssBytes(t.pid);
  await sleep(1000);
  console.log(`round ${r}: ${Math.round(res.requestsPerSec)} req/s, ${total} requests so far, RSS ${mb(after)} (1 s later ${mb(rssBytes(t.pid))})`);
}
await stopProcess(t.child);
await stopProcess(origin.child);
if (nodeFlags.length > 0) console.log(`target log: ${join(tmp, id)}`);
if (nodeFlags.length === 0) rmSync(tmp, { recursive: true, force: true });
