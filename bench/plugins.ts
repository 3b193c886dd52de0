// Remora targets with plugins. The header-adding plugin is the bench's own (bench/plugins/
// add-header, built with the SDK); the first-party plugins come from plugins/*/build/. Each
// target is skipped with the reason when its .wasm cannot be had.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildBenchPlugin } from './bench-plugins.ts';
import type { RemoraPlugin } from './remora-target.ts';
import { remoraTarget, type SkippedTarget, type Target } from './targets.ts';

type Entry = Target | SkippedTarget;

function firstExisting(root: string, candidates: string[]): string | undefined {
  return candidates.map((c) => join(root, c)).find((p) => existsSync(p));
}

async function headerPluginTargets(root: string): Promise<Entry[]> {
  const built = await buildBenchPlugin(root, 'add-header');
  if ('skipped' in built) {
    return [
      { id: 'remora-1plugin', label: 'Remora + 1 header-adding plugin', skipped: built.skipped },
      { id: 'remora-3plugins', label: 'Remora + chain of 3 plugins', skipped: built.skipped },
    ];
  }
  const addHeader = (n: number): RemoraPlugin => ({ name: `add-header-${n}`, path: built.path, config: { name: `x-bench-${n}`, value: String(n) } });
  return [
    remoraTarget({
      id: 'remora-1plugin',
      label: 'Remora + 1 header-adding plugin',
      kind: 'remora-plugins',
      accessLog: false,
      plugins: [addHeader(1)],
      expectHeader: ['x-bench-1', '1'],
    }),
    remoraTarget({
      id: 'remora-3plugins',
      label: 'Remora + chain of 3 header-adding plugins',
      kind: 'remora-plugins',
      accessLog: false,
      plugins: [addHeader(1), addHeader(2), addHeader(3)],
      expectHeader: ['x-bench-3', '3'],
    }),
  ];
}

/** Plugin targets among those `wanted` (building a plugin takes seconds: only when needed). */
export async function pluginTargets(root: string, wanted: (id: string) => boolean): Promise<Entry[]> {
  const out: Entry[] = [];
  if (wanted('remora-1plugin') || wanted('remora-3plugins')) out.push(...(await headerPluginTargets(root)));
  void firstExisting;
  return out;
}
