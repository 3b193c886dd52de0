// `remora run` as a real process against a real upstream: ready lines, admin endpoints on the
// bound ports, metrics after a proxied request, SIGHUP reloads (a bad config keeps the old one),
// SIGTERM drains and exits 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { compileWat, MINIMAL_PLUGIN_WAT } from './testing.ts';

const BIN = fileURLToPath(new URL('../../bin/remora.js', import.meta.url));

type LogLine = Record<string, unknown>;

class RemoraRun {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: LogLine[] = [];
  private waiters: Array<() => void> = [];
  stderr = '';
  private readonly closed: Promise<number | null>;

  constructor(configFile: string) {
    this.child = spawn(process.execPath, [BIN, 'run', '-c', configFile], { stdio: 'pipe', env: { ...process.env, REMORA_LOG: 'info' } });
    this.closed = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
    let buffered = '';
    this.child.stdout.on('data', (c: Buffer) => {
      buffered += c.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          // Not a log line.
        }
        for (const w of this.waiters.splice(0)) w();
      }
    });
    this.child.stderr.on('data', (c: Buffer) => (this.stderr += c));
  }

  /** The n-th (0-based) line with this msg, waiting for it if needed. */
  async waitFor(msg: string, nth = 0, timeoutMs = 60_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.filter((l) => l.msg === msg)[nth];
      if (found) return found;
      if (this.child.exitCode !== null) throw new Error(`remora exited (${this.child.exitCode}) before "${msg}": ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no "${msg}" log line; stderr: ${this.stderr}; stdout: ${JSON.stringify(this.lines.map((l) => l.msg))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves with the exit code once the process ended and its output was read to the end. */
  exited(): Promise<number | null> {
    return this.closed;
  }
}

function portOf(line: LogLine): number {
  return Number(String(line.address).split(':').pop());
}

async function startUpstream(body: string): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${body} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('remora run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'remora-run-'));
  const configFile = join(dir, 'remora.yaml');
  let blue: Server;
  let green: Server;
  let remora: RemoraRun;
  let admin = '';
  let proxy = '';

  const config = (cluster: string, routeName: string) => `
admin: { address: 127.0.0.1:0 }
log: { level: info, accessLog: false }
shutdownGracePeriod: 2s
listeners:
  - name: main
    address: 127.0.0.1:0
    routes:
      - name: ${routeName}
        match: { pathPrefix: / }
        cluster: ${cluster}
clusters:
  - { name: blue, endpoints: ["127.0.0.1:${(blue.address() as AddressInfo).port}"] }
  - { name: green, endpoints: ["127.0.0.1:${(green.address() as AddressInfo).port}"] }
`;

  before(async () => {
    blue = await startUpstream('blue');
    green = await startUpstream('green');
    writeFileSync(configFile, config('blue', 'to-blue'));
    remora = new RemoraRun(configFile);
    admin = `http://127.0.0.1:${portOf(await remora.waitFor('admin ready'))}`;
    proxy = `http://127.0.0.1:${portOf(await remora.waitFor('listener ready'))}`;
    await remora.waitFor('remora ready');
  });

  after(async () => {
    if (remora.child.exitCode === null) remora.child.kill('SIGKILL');
    blue.close();
    green.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs admin ready, listener ready, remora ready in that order', () => {
    const order = remora.lines.map((l) => l.msg).filter((m) => ['admin ready', 'listener ready', 'remora ready'].includes(String(m)));
    assert.deepEqual(order, ['admin ready', 'listener ready', 'remora ready']);
    assert.equal(remora.lines.find((l) => l.msg === 'listener ready')!.listener, 'main');
  });

  it('serves /ready, /live, /plugins and /config with bound addresses', async () => {
    assert.equal((await fetch(`${admin}/ready`)).status, 200);
    assert.equal((await fetch(`${admin}/live`)).status, 200);
    assert.deepEqual(await (await fetch(`${admin}/plugins`)).json(), []);
    const effective = (await (await fetch(`${admin}/config`)).json()) as {
      source: string; admin: { boundAddress: string }; listeners: Array<{ name: string; address: string; boundAddress: string }>;
    };
    assert.equal(effective.source, configFile);
    assert.equal(`http://${effective.admin.boundAddress}`, admin);
    assert.equal(effective.listeners[0]!.address, '127.0.0.1:0');
    assert.equal(`http://${effective.listeners[0]!.boundAddress}`, proxy);
  });

  it('proxies and counts the request on /metrics', async () => {
    const res = await fetch(`${proxy}/hello`);
    assert.equal(await res.text(), 'blue /hello');
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    assert.match(metrics, /remora_requests_total\{listener="main",route="to-blue",cluster="blue",code="200",classification="success"\} 1/);
    assert.match(metrics, /remora_request_duration_ms_count\{listener="main",route="to-blue",cluster="blue"\} 1/);
  });

  it('SIGHUP with a bad config logs the error and keeps serving the old config', async () => {
    writeFileSync(configFile, config('blue', 'to-blue').replace('cluster: blue', 'cluster: purple'));
    remora.child.kill('SIGHUP');
    const failed = await remora.waitFor('config reload failed');
    assert.match(String(failed.error), /listeners\[0\]\.routes\[0\]\.cluster: unknown cluster "purple"/);
    assert.equal(await (await fetch(`${proxy}/still`)).text(), 'blue /still');
    assert.equal((await fetch(`${admin}/ready`)).status, 200);
  });

  it('SIGHUP with a good config switches routes', async () => {
    // Same addresses as at start (port 0): the listener stays, only its routes change.
    writeFileSync(configFile, config('green', 'to-green'));
    remora.child.kill('SIGHUP');
    await remora.waitFor('config reloaded');
    assert.equal(await (await fetch(`${proxy}/now`)).text(), 'green /now');
    const effective = (await (await fetch(`${admin}/config`)).json()) as { listeners: Array<{ routes: Array<{ name: string }> }> };
    assert.equal(effective.listeners[0]!.routes[0]!.name, 'to-green');
  });

  it('SIGHUP adding a plugin to a config that had none loads the Wasm host', async () => {
    writeFileSync(join(dir, 'p.wasm'), await compileWat(MINIMAL_PLUGIN_WAT));
    writeFileSync(configFile, config('green', 'to-green').replace('cluster: green', 'cluster: green\n        plugins: [noop]')
      + 'plugins: [{ name: noop, url: p.wasm }]\n');
    remora.child.kill('SIGHUP');
    await remora.waitFor('config reloaded', 1);
    const plugins = (await (await fetch(`${admin}/plugins`)).json()) as Array<{ name: string }>;
    assert.deepEqual(plugins.map((p) => p.name), ['noop']);
    assert.equal(await (await fetch(`${proxy}/through-plugin`)).text(), 'green /through-plugin');
  });

  it('counts reloads by result on /metrics', async () => {
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    assert.match(metrics, /^remora_config_reloads_total\{result="failure"\} 1$/m);
    assert.match(metrics, /^remora_config_reloads_total\{result="success"\} 2$/m);
  });

  it('SIGTERM drains and exits 0', async () => {
    remora.child.kill('SIGTERM');
    assert.equal(await remora.exited(), 0);
    assert.ok(remora.lines.some((l) => l.msg === 'remora stopped'));
  });
});

describe('remora run on a taken port', () => {
  it('exits 1 naming the port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'remora-taken-'));
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const file = join(dir, 'remora.yaml');
      writeFileSync(file, `admin: { address: 127.0.0.1:0 }
listeners: [{ name: main, address: "127.0.0.1:${port}", defaultCluster: app }]
clusters: [{ name: app, endpoints: ["127.0.0.1:9"] }]
`);
      const run = new RemoraRun(file);
      assert.equal(await run.exited(), 1);
      assert.match(run.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is already in use`));
      assert.ok(!run.lines.some((l) => l.msg === 'remora ready'));
    } finally {
      squatter.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
