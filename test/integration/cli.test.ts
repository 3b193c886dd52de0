// `remora run` from the outside: a missing config file is a bad-config exit (2) that names the file.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { runRemoraCli } from '../support/remora.ts';

test('remora run with a nonexistent config file exits 2 and names the file', { timeout: 15_000 }, async () => {
  const missing = join(tmpdir(), `remora-missing-${process.pid}-${Date.now()}.yaml`);
  const result = await runRemoraCli(['run', '-c', missing]);
  assert.equal(result.code, 2, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.ok((result.stderr + result.stdout).includes(missing), 'the message names the missing file');
});
