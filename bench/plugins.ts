// Remora targets with plugins: found among the builds of the other parts of the repository
// (examples/, plugins/*/build/), each skipped with the reason when its .wasm is not there.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RemoraPlugin } from './remora-target.ts';
import { remoraTarget, type SkippedTarget, type Target } from './targets.ts';

function firstExisting(root: string, candidates: string[]): string | undefined {
  return candidates.map((c) => join(root, c)).find((p) => existsSync(p));
}

export function pluginTargets(root: string): (Target | SkippedTarget)[] {
  const out: (Target | SkippedTarget)[] = [];
  const headerCandidates: string[] = [];
  const header = firstExisting(root, headerCandidates);
  if (!header) {
    for (const [id, label] of [
      ['remora-1plugin', 'Remora + 1 header-adding plugin'],
      ['remora-3plugins', 'Remora + chain of 3 plugins'],
    ] as const) {
      out.push({ id, label, skipped: 'no header-adding plugin build found' });
    }
  } else {
    const plugin = (name: string, value: string): RemoraPlugin => ({ name, path: header, config: { header: name, value } });
    out.push(
      remoraTarget({ id: 'remora-1plugin', label: 'Remora + 1 header-adding plugin', kind: 'remora-plugins', accessLog: false, plugins: [plugin('x-bench-1', '1')] }),
      remoraTarget({
        id: 'remora-3plugins',
        label: 'Remora + chain of 3 plugins',
        kind: 'remora-plugins',
        accessLog: false,
        plugins: [plugin('x-bench-1', '1'), plugin('x-bench-2', '2'), plugin('x-bench-3', '3')],
      }),
    );
  }
  return out;
}
