// Runs nginx as a single foreground process (master_process off, one event loop) in its
// own temp directory: its own config, pid file, error log and temp paths, nothing shared
// with a system nginx. Two roles: the origin that serves a small body, and a proxy_pass
// front to that origin with upstream keep-alive (what a tuned nginx sidecar would do).
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { request, type IncomingHttpHeaders } from 'node:http';
import { spawnPinned, waitFor } from './proc.ts';

/** The body every origin answers with: small, like a health or JSON API reply. */
export const ORIGIN_BODY = 'hello from the remora bench origin\n';

export type NginxRole = { kind: 'origin' } | { kind: 'proxy'; originPort: number };

export interface NginxServer {
  child: ChildProcess;
  port: number;
  dir: string;
}

function nginxConf(dir: string, port: number, role: NginxRole): string {
  const common = `
daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'tmp', 'body')};
  proxy_temp_path ${join(dir, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'tmp', 'scgi')};
  keepalive_requests 1000000;
  keepalive_timeout 75s;
`;
  if (role.kind === 'origin') {
    return `${common}
  server {
    listen 127.0.0.1:${port};
    location / {
      default_type text/plain;
      return 200 ${JSON.stringify(ORIGIN_BODY)};
    }
  }
}
`;
  }
  return `${common}
  upstream origin {
    server 127.0.0.1:${role.originPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

export interface ProbeResult {
  status: number;
  headers: IncomingHttpHeaders;
}

/** GET / once: whether the server is accepting and (for a proxy) reaching its origin. */
export function probeResponse(port: number, headers: Record<string, string> = {}): Promise<ProbeResult | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', () => resolve(undefined));
    req.setTimeout(1000, () => req.destroy());
    req.end();
  });
}

export async function probe(port: number): Promise<number | undefined> {
  return (await probeResponse(port))?.status;
}

export async function startNginx(dir: string, port: number, role: NginxRole, cpu: string | undefined): Promise<NginxServer> {
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, port, role));
  const child = spawnPinned('nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {
    cpu,
    logFile: join(dir, 'stdout.log'),
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitFor(`nginx (${role.kind}) on port ${port}`, 10_000, async () => {
    if (exited) {
      const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
      throw new Error(`nginx (${role.kind}) exited at start:\n${log}`);
    }
    return (await probe(port)) === 200 ? true : undefined;
  });
  return { child, port, dir };
}
