// Set-up shared by the one-target tools (ab.ts, soak.ts): check the load tools, find the targets in the
// catalog, and start an nginx origin in a fresh temp folder. Exits with advice when something is missing.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allTargets } from './catalog.ts';
import { detectTools, missingToolsAdvice } from './machine.ts';
import { startNginx } from './nginx.ts';
import { freePort } from './proc.ts';

/** The value after `--name` on the command line, or `dflt`. */
export function cliArg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
}

export async function prepareSingleTarget(root: string, id: string, tmpPrefix: string) {
  const { targets, ...rest } = await prepareTargets(root, [id], tmpPrefix);
  return { target: targets[0]!, ...rest };
}

/** The same for several targets of one checkout, in the order of `ids`, sharing one origin. */
export async function prepareTargets(root: string, ids: string[], tmpPrefix: string) {
  const tools = detectTools();
  if (!tools.wrk || !tools.nginx) {
    for (const l of missingToolsAdvice(tools)) console.error(l);
    process.exit(1);
  }
  const found = await allTargets(root, true, (t) => ids.includes(t));
  const targets = ids.map((id) => {
    const target = found.find((t) => t.id === id);
    if (!target || 'skipped' in target) {
      console.error(target ? `${id} skipped: ${target.skipped}` : `unknown target ${id}`);
      process.exit(2);
    }
    return target;
  });
  const pin = tools.taskset;
  const tmp = mkdtempSync(join(tmpdir(), tmpPrefix));
  mkdirSync(join(tmp, 'origin'));
  const origin = await startNginx(join(tmp, 'origin'), await freePort(), { kind: 'origin' }, pin ? '1' : undefined);
  return { targets, pin, tmp, origin };
}
