// The things the benchmark measures, each one process on 127.0.0.1 pinned to the target CPU.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startNginx } from './nginx.ts';
import { startRemora, type RemoraPlugin } from './remora-target.ts';
import { spawnPinned, stopProcess, waitFor } from './proc.ts';

export interface StartEnv {
  /** Repository root. */
  root: string;
  /** The Node 24 binary that runs the Node targets. */
  node: string;
  /** Scratch directory; each target gets a sub-folder. */
  tmp: string;
  originPort: number;
  /** CPU the target is pinned to (undefined: unpinned). */
  cpu: string | undefined;
  /** Extra flags for Node targets (e.g. --cpu-prof when profiling). */
  nodeFlags?: string[];
  freePort(): Promise<number>;
}

export interface RunningTarget {
  pid: number;
  port: number;
  child: ChildProcess;
}

export type TargetKind = 'nginx' | 'nginx-proxy' | 'undici-proxy' | 'remora' | 'remora-accesslog' | 'remora-plugins';

export interface Target {
  id: string;
  label: string;
  kind: TargetKind;
  /** Plugins on the route (Remora targets), for the per-plugin cost. */
  pluginCount: number;
  /** Request headers the load sends (e.g. a JWT for auth). */
  headers?: Record<string, string>;
  /** A response header that proves the plugins ran (checked before measuring). */
  expectHeader?: [name: string, value: string];
  start(env: StartEnv): Promise<RunningTarget>;
}

export interface SkippedTarget {
  id: string;
  label: string;
  skipped: string;
}

function dirFor(env: StartEnv, id: string): string {
  const d = join(env.tmp, id);
  mkdirSync(d, { recursive: true });
  return d;
}

export const nginxDirect: Target = {
  id: 'nginx',
  label: 'nginx (serves the body itself)',
  kind: 'nginx',
  pluginCount: 0,
  async start(env) {
    const port = await env.freePort();
    const n = await startNginx(dirFor(env, 'nginx'), port, { kind: 'origin' }, env.cpu);
    return { pid: n.child.pid!, port, child: n.child };
  },
};

export const nginxProxy: Target = {
  id: 'nginx-proxy',
  label: 'nginx proxy_pass → origin',
  kind: 'nginx-proxy',
  pluginCount: 0,
  async start(env) {
    const port = await env.freePort();
    const n = await startNginx(dirFor(env, 'nginx-proxy'), port, { kind: 'proxy', originPort: env.originPort }, env.cpu);
    return { pid: n.child.pid!, port, child: n.child };
  },
};

/** Starts a Node script that prints {"address":"127.0.0.1:<port>"} once listening. */
export async function startAddressPrintingScript(
  env: StartEnv,
  id: string,
  script: string,
  args: string[],
  cpu: string | undefined,
  nodeFlags: string[] = env.nodeFlags ?? [],
): Promise<RunningTarget> {
  const dir = dirFor(env, id);
  const logFile = join(dir, 'stdout.log');
  const child = spawnPinned(env.node, [...nodeFlags, script, ...args], { cpu, logFile });
  let exit: string | undefined;
  child.once('exit', (c, s) => (exit = `exit ${c ?? s}`));
  const port = await waitFor(`${id} to print its address`, 20_000, () => {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    if (exit) throw new Error(`${id} ${exit} at start:\n${log}`);
    const m = /"address":"127\.0\.0\.1:(\d+)"/.exec(log);
    return m ? Number(m[1]) : undefined;
  });
  return { pid: child.pid!, port, child };
}

export const undiciProxy: Target = {
  id: 'undici-proxy',
  label: 'Node http + undici Pool proxy',
  kind: 'undici-proxy',
  pluginCount: 0,
  start: (env) =>
    startAddressPrintingScript(env, 'undici-proxy', join(env.root, 'bench', 'undici-proxy.ts'), [`http://127.0.0.1:${env.originPort}`], env.cpu),
};

export function remoraTarget(opts: {
  id: string;
  label: string;
  kind: TargetKind;
  accessLog: boolean;
  plugins?: RemoraPlugin[];
  routePlugins?: string[];
  headers?: Record<string, string>;
  expectHeader?: [name: string, value: string];
}): Target {
  const routePlugins = opts.routePlugins ?? (opts.plugins ?? []).map((p) => p.name);
  return {
    id: opts.id,
    label: opts.label,
    kind: opts.kind,
    pluginCount: routePlugins.length,
    headers: opts.headers,
    expectHeader: opts.expectHeader,
    async start(env) {
      const r = await startRemora(
        { root: env.root, dir: dirFor(env, opts.id), node: env.node, cpu: env.cpu, nodeFlags: env.nodeFlags },
        { originPort: env.originPort, accessLog: opts.accessLog, plugins: opts.plugins ?? [], routePlugins },
      );
      return { pid: r.child.pid!, port: r.port, child: r.child };
    },
  };
}

export async function stopTarget(t: RunningTarget): Promise<void> {
  await stopProcess(t.child, 5000);
}
