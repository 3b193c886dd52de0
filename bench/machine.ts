// What the benchmark needs from the machine (wrk, nginx, taskset) and what it records about it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { hasCommand } from './proc.ts';

export interface Tools {
  wrk: boolean;
  nginx: boolean;
  taskset: boolean;
}

export function detectTools(): Tools {
  return { wrk: hasCommand('wrk'), nginx: hasCommand('nginx'), taskset: hasCommand('taskset') };
}

/** Explains what is missing and what that costs, in the words a user needs to fix it. */
export function missingToolsAdvice(t: Tools): string[] {
  const lines: string[] = [];
  if (!t.wrk) {
    lines.push(
      'wrk not found: it generates the load for every target, so nothing can be measured.',
      '  install it:  sudo apt-get update && sudo apt-get install -y wrk     (macOS: brew install wrk)',
    );
  }
  if (!t.nginx) {
    lines.push(
      'nginx not found: skipping the nginx targets (nginx, nginx-proxy), so Remora\'s nginx ratios cannot be computed;',
      '  the proxies forward to a node:http origin instead (slower than nginx, so their figures are lower).',
      '  install it:  sudo apt-get update && sudo apt-get install -y nginx   (macOS: brew install nginx)',
    );
  }
  if (!t.taskset) {
    lines.push('taskset not found (util-linux): processes run unpinned, so load generator and target compete for both cores; figures are noisier.');
  }
  return lines;
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown';
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memGiB: number;
  kernel: string;
  node: string;
  nginx: string;
  wrk: string;
}

export function machineInfo(t: Tools): MachineInfo {
  const modelLine = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
  return {
    nproc: cpus().length,
    cpuModel: modelLine ? modelLine.split(':')[1]!.trim() : cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    node: process.version,
    nginx: t.nginx ? firstLine('nginx', ['-v']).replace(/^nginx version:\s*/, '') : 'not installed',
    wrk: t.wrk ? firstLine('wrk', ['-v']).split(' [')[0]! : 'not installed',
  };
}
