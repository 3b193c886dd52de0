// Runs wrk (the load generator) and parses its text report.
import { spawn } from 'node:child_process';

export interface WrkResult {
  requestsPerSec: number;
  /** Latency percentiles in milliseconds (wrk --latency). */
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses with a status outside 2xx/3xx: a run with any is not a valid figure. */
  non2xx: number;
  /** connect + read + write + timeout socket errors. */
  socketErrors: number;
}

export interface WrkRun {
  url: string;
  connections: number;
  durationSec: number;
  /** Extra request headers, e.g. `authorization: Bearer …`. */
  headers?: Record<string, string>;
  /** CPU list to pin wrk to with taskset; undefined leaves it unpinned. */
  cpu?: string;
  /** Called with wrk's pid once it runs (taskset execs wrk, so it is wrk's own pid). */
  onSpawn?: (pid: number) => void;
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: unexpected latency value ${JSON.stringify(text)}`);
  return Number(m[1]) * TIME_UNITS[m[2]!]!;
}

/** Parses wrk's report (run with --latency). Throws with the report when a needed line is missing. */
export function parseWrkOutput(out: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const total = /^\s+(\d+) requests in /m.exec(out);
  if (!rps || !p50 || !p99 || !total) throw new Error(`wrk: could not parse report (was --latency given?):\n${out}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requestsPerSec: Number(rps[1]),
    p50Ms: parseDurationMs(p50[1]!),
    p99Ms: parseDurationMs(p99[1]!),
    requests: Number(total[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors,
  };
}

/** Runs wrk with one thread (it gets one core) and keep-alive connections (wrk's default). */
export function runWrk(run: WrkRun): Promise<WrkResult> {
  const args = ['-t1', `-c${run.connections}`, `-d${run.durationSec}s`, '--latency', '--timeout', '5s'];
  for (const [k, v] of Object.entries(run.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(run.url);
  const [cmd, argv] = run.cpu !== undefined ? ['taskset', ['-c', run.cpu, 'wrk', ...args]] : ['wrk', args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    if (child.pid !== undefined) run.onSpawn?.(child.pid);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${err || out}`));
      try {
        resolve(parseWrkOutput(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}
