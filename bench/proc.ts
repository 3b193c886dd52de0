// Process helpers for the benchmark: free ports, CPU pinning, RSS and CPU time from /proc.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';

const started = new Set<ChildProcess>();

/** On any exit of the harness (also a crash), kill the servers it started and that still run. */
process.on('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Asks the kernel for a free loopback port (for servers such as nginx that cannot report port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether `cmd` is on PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export interface PinnedSpawn {
  /** CPU list for taskset (`"0"`, `"1"`), or undefined to leave scheduling to the kernel. */
  cpu?: string;
  /** File that receives stdout and stderr (so a busy log never back-pressures the harness). */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Spawns `cmd args` pinned with taskset when a CPU is given. taskset execs the command,
 * so the child's pid is the target's own pid (what /proc RSS and CPU readings need).
 */
export function spawnPinned(cmd: string, args: string[], opts: PinnedSpawn): ChildProcess {
  const fd = openSync(opts.logFile, 'a');
  const spawnOpts: SpawnOptions = { stdio: ['ignore', fd, fd], env: opts.env ?? process.env, cwd: opts.cwd };
  const child = opts.cpu !== undefined
    ? spawn('taskset', ['-c', opts.cpu, cmd, ...args], spawnOpts)
    : spawn(cmd, args, spawnOpts);
  closeSync(fd);
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** Resident set size in bytes (VmRSS), or undefined when the process is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** User + system CPU seconds consumed so far by a process (all its threads). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** The 1-minute load average and the full `uptime`-style triple. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value or the deadline passes. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Sends SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
