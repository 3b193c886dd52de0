// bin/remora.js is what a user's shell starts, with whatever `node` it has: on a Node older than 24
// it must load at all (no import an older Node lacks) and re-execute on the pinned Node 24.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const BIN = fileURLToPath(new URL('../../bin/remora.js', import.meta.url));
const DEMO_CONFIG = fileURLToPath(new URL('../demo/config.yaml', import.meta.url));

/** `node` executables on PATH other than the pinned one, with their major version. */
function otherNodes(): { path: string; major: number }[] {
  const found: { path: string; major: number }[] = [];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    const path = join(dir, 'node');
    try {
      accessSync(path, constants.X_OK);
    } catch {
      continue;
    }
    const v = spawnSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (v.status === 0) found.push({ path, major: Number(v.stdout.trim().split('.')[0]) });
  }
  return found;
}

test('the remora bin started by an older node re-executes on the pinned Node 24', () => {
  // This machine's own node (the README's fresh machine has an older one) when there is one; the
  // pinned node otherwise, which at least runs the same script.
  const older = otherNodes().find((n) => n.major < 24);
  const node = older?.path ?? process.execPath;
  const versions = spawnSync(node, [BIN, '--version'], { encoding: 'utf8' });
  assert.equal(versions.status, 0, `${node} ${BIN} --version: ${versions.stderr}`);
  assert.match(versions.stdout.trim(), /^\d+\.\d+\.\d+$/);
  // A command that runs TypeScript (config loading and plugin start): only Node 24 can.
  const check = spawnSync(node, [BIN, 'check', '-c', DEMO_CONFIG], { encoding: 'utf8' });
  assert.equal(check.status, 0, `remora check through ${node} (${older ? `Node ${older.major}` : 'pinned'}): ${check.stderr}`);
  assert.match(check.stdout, /config\.yaml: ok/);
});
