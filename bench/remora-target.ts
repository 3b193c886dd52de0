// Starts Remora (`bin/remora.js run -c <generated config>`) as one pinned process and learns
// its listener port from the `listener ready` log line, as the integration tests do.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnPinned, waitFor } from './proc.ts';

export interface RemoraPlugin {
  name: string;
  /** Absolute path of the .wasm file. */
  path: string;
  /** Plugin configuration: a string is passed as is, anything else as JSON text. */
  config?: unknown;
  vmId?: string;
  rootId?: string;
}

export interface RemoraTargetConfig {
  originPort: number;
  /** Plugin names run on the route, in order (each must appear in `plugins`). */
  routePlugins: string[];
  plugins: RemoraPlugin[];
  accessLog: boolean;
}

export interface RemoraProcess {
  child: ChildProcess;
  port: number;
  configFile: string;
  logFile: string;
}

/** The config file the bench gives Remora: one listener, one catch-all route to the origin. */
export function remoraConfig(c: RemoraTargetConfig): object {
  return {
    admin: { address: '127.0.0.1:0' },
    log: { level: 'info', accessLog: c.accessLog },
    listeners: [
      {
        name: 'bench',
        address: '127.0.0.1:0',
        routes: [
          {
            name: 'origin',
            match: { pathPrefix: '/' },
            ...(c.routePlugins.length > 0 ? { plugins: c.routePlugins } : {}),
            cluster: 'origin',
          },
        ],
      },
    ],
    clusters: [{ name: 'origin', endpoints: [`127.0.0.1:${c.originPort}`], protocol: 'http1' }],
    ...(c.plugins.length > 0
      ? {
          plugins: c.plugins.map((p) => ({
            name: p.name,
            url: p.path,
            ...(p.config !== undefined ? { config: p.config } : {}),
            ...(p.vmId ? { vmId: p.vmId } : {}),
            ...(p.rootId ? { rootId: p.rootId } : {}),
            failStrategy: 'close',
          })),
        }
      : {}),
  };
}

/** Finds the bench listener's port in Remora's JSON log lines. */
export function listenerPortFromLog(log: string, listener = 'bench'): number | undefined {
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const rec = JSON.parse(line) as { msg?: string; listener?: string; address?: string };
      if (rec.msg === 'listener ready' && rec.listener === listener && rec.address) {
        return Number(rec.address.slice(rec.address.lastIndexOf(':') + 1));
      }
    } catch {
      // a partial line still being written: read it on the next poll
    }
  }
  return undefined;
}

export interface RemoraStart {
  root: string;
  dir: string;
  node: string;
  cpu: string | undefined;
  /** Extra node flags, e.g. --cpu-prof for profiling. */
  nodeFlags?: string[];
}

export async function startRemora(s: RemoraStart, c: RemoraTargetConfig): Promise<RemoraProcess> {
  const configFile = join(s.dir, 'remora.json');
  const logFile = join(s.dir, 'remora.log');
  writeFileSync(configFile, JSON.stringify(remoraConfig(c), null, 2));
  const child = spawnPinned(s.node, [...(s.nodeFlags ?? []), join(s.root, 'bin', 'remora.js'), 'run', '-c', configFile], {
    cpu: s.cpu,
    logFile,
    cwd: s.dir,
    env: { ...process.env, REMORA_LOG: undefined },
  });
  let exit: string | undefined;
  child.once('exit', (code, sig) => (exit = `exit ${code ?? sig}`));
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const port = await waitFor(`Remora to log "listener ready" (${logFile})`, 30_000, () => {
    if (exit) throw new Error(`remora ${exit} at start:\n${readLog().slice(-3000)}`);
    const log = readLog();
    return /"msg":"remora ready"/.test(log) ? listenerPortFromLog(log) : undefined;
  });
  return { child, port, configFile, logFile };
}
