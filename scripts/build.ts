// Builds every Wasm artefact the project ships or tests with. Run by `npm install` (prepare)
// and `npm run build`. Each step registers itself below; steps are independent and fast.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Build scripts of the parts that produce Wasm, run in this order when present. */
const steps = [
  'sdk/build.ts',
  'plugins/build.ts',
  'test/fixtures/build.ts',
];

for (const step of steps) {
  const file = join(root, step);
  if (!existsSync(file)) continue;
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error(`build: ${step} failed`);
    process.exit(r.status ?? 1);
  }
}

// Last, check the demo config through the real bin: it proves the build works end to end and
// fills Node's compile cache (see bin/remora.js), so the first `npm start` is already lean.
const check = spawnSync(process.execPath, ['bin/remora.js', 'check', '-c', 'runtime/demo/config.yaml'], { stdio: 'inherit', cwd: root });
if (check.status !== 0) {
  console.error('build: the demo config does not check');
  process.exit(check.status ?? 1);
}
