// Starts a real Remora process (`node bin/remora.js run -c <tmp file>`) for integration tests.
// Ports are learned from the pino JSON lines Remora prints on stdout ("listener ready",
// "admin ready", "remora ready"), so every listener and the admin server can bind port 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (test/support/ is two levels below it). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REMORA_BIN = join(REPO_ROOT, 'bin', 'remora.js');

/** Anything with a node:test style `after` hook: a TestContext, or `{ after }` imported from node:test. */
export interface CleanupScope {
  after(fn: () => unknown): unknown;
}

/** A config object (written as JSON, which YAML parsers read too) or raw YAML text. */
export type RemoraConfigInput = Record<string, unknown> | string;

export interface StartOptions {
  /** How long to wait for the "remora ready" line. */
  readyTimeoutMs?: number;
  /** Extra environment for the Remora process. */
  env?: Record<string, string>;
  /** Keep listener/admin addresses exactly as given instead of forcing 127.0.0.1:0. */
  keepAddresses?: boolean;
}

export interface RemoraProcess {
  /** Bound port per listener name. */
  ports: Record<string, number>;
  adminPort: number;
  /** Absolute path of the config file Remora was started with (rewrite it, then `reload()`). */
  configPath: string;
  /** Every JSON log line Remora printed on stdout so far. */
  logs(): Record<string, unknown>[];
  /** Raw stderr text so far. */
  stderr(): string;
  /** Sends the signal and resolves with the exit code (signal name if killed by one). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  /** Overwrites the config file (same address normalisation as at start), then sends SIGHUP. */
  reload(config: RemoraConfigInput): void;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  process: ChildProcess;
}

/** Result of a Remora run that is expected to end on its own (bad config, bad arguments). */
export interface RemoraExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function portOf(address: unknown): number {
  const text = String(address);
  const port = Number(text.slice(text.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`cannot read a port from address ${text}`);
  return port;
}

/**
 * Forces every listener and the admin server onto 127.0.0.1:0 unless told otherwise. Reloads
 * write the same addresses, so a reload changes routes and clusters, never the listeners.
 */
function normalise(config: RemoraConfigInput, keepAddresses: boolean): string {
  if (typeof config === 'string') return config;
  if (keepAddresses) return JSON.stringify(config, null, 2);
  const copy = structuredClone(config) as Record<string, any>;
  copy.admin = { ...(copy.admin ?? {}), address: '127.0.0.1:0' };
  for (const listener of copy.listeners ?? []) listener.address = '127.0.0.1:0';
  return JSON.stringify(copy, null, 2);
}

/** Runs Remora with the given CLI arguments and waits for it to exit by itself. */
export function runRemoraCli(args: string[], timeoutMs = 10_000): Promise<RemoraExit> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [REMORA_BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`remora ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/**
 * Writes the config to a temp file, starts `remora run -c <file>` and resolves once it logged
 * "remora ready". The process is killed (SIGKILL if still running) and the temp dir removed
 * when `scope`'s after hook runs.
 */
export async function startRemora(scope: CleanupScope, config: RemoraConfigInput, options: StartOptions = {}): Promise<RemoraProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'remora-it-'));
  const configPath = join(dir, typeof config === 'string' ? 'remora.yaml' : 'remora.json');
  const keep = options.keepAddresses ?? false;
  writeFileSync(configPath, normalise(config, keep));

  const child = spawn(process.execPath, [REMORA_BIN, 'run', '-c', configPath], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, REMORA_LOG: 'info', ...options.env },
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<(line: Record<string, unknown>) => void>();
  let stdoutRest = '';
  let stderrText = '';
  let exited = false;
  const exit = new Promise<number | string>((res) => {
    child.on('exit', (code, signal) => { exited = true; res(code ?? signal ?? -1); });
  });

  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdoutRest += chunk;
    let nl: number;
    while ((nl = stdoutRest.indexOf('\n')) >= 0) {
      const raw = stdoutRest.slice(0, nl).trim();
      stdoutRest = stdoutRest.slice(nl + 1);
      if (!raw) continue;
      let line: Record<string, unknown>;
      try { line = JSON.parse(raw); } catch { line = { msg: raw, unparsed: true }; }
      lines.push(line);
      for (const waiter of [...waiters]) waiter(line);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderrText += chunk; });

  scope.after(async () => {
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        rej(new Error(`no matching Remora log line within ${timeoutMs} ms; logs:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${stderrText}`));
      }, timeoutMs);
      const check = (line: Record<string, unknown>): void => {
        if (!match(line)) return;
        clearTimeout(timer);
        waiters.delete(check);
        res(line);
      };
      waiters.add(check);
    });
  }

  const ready = waitForLog((l) => l.msg === 'remora ready', options.readyTimeoutMs ?? 15_000);
  const died = exit.then((code) => {
    throw new Error(`remora exited (${code}) before "remora ready"\nstdout: ${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${stderrText}`);
  });
  await Promise.race([ready, died]);
  died.catch(() => {}); // the race is settled; a later exit is the test's business

  const ports: Record<string, number> = {};
  let adminPort = 0;
  for (const line of lines) {
    if (line.msg === 'listener ready') ports[String(line.listener)] = portOf(line.address);
    if (line.msg === 'admin ready') adminPort = portOf(line.address);
  }

  return {
    ports,
    adminPort,
    configPath,
    logs: () => lines,
    stderr: () => stderrText,
    waitForLog,
    process: child,
    reload(next: RemoraConfigInput): void {
      writeFileSync(configPath, normalise(next, keep));
      child.kill('SIGHUP');
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
      if (!exited) child.kill(signal);
      return exit;
    },
  };
}

/** A cleanup scope for suite-level fixtures: collect in `before`, run from `after`. */
export function cleanupList(): CleanupScope & { run(): Promise<void> } {
  const fns: (() => unknown)[] = [];
  return {
    after(fn: () => unknown): void { fns.push(fn); },
    async run(): Promise<void> {
      for (const fn of fns.reverse()) await fn();
      fns.length = 0;
    },
  };
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Numeric pino level of a log line, whether pino printed it as a number or a label. */
export function logLevel(line: Record<string, unknown>): number {
  const level = line.level;
  if (typeof level === 'number') return level;
  return LEVELS[String(level)] ?? 0;
}
