// `remora check` and argument handling through the real CLI process (node bin/remora.js):
// exit 0 for a valid config, 2 with one line on stderr naming file, field path and expectation.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { compileWat, MINIMAL_PLUGIN_WAT } from './testing.ts';

const BIN = fileURLToPath(new URL('../../bin/remora.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'remora-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function remora(args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const VALID = `admin: { address: 127.0.0.1:0 }
listeners:
  - name: inbound
    address: 127.0.0.1:0
    routes:
      - name: api
        match: { pathPrefix: /api }
        cluster: app
        timeout: 2s
clusters:
  - name: app
    endpoints: [127.0.0.1:8080]
`;

let n = 0;
function configFile(text: string, ext = 'yaml'): string {
  const file = join(dir, `config-${n++}.${ext}`);
  writeFileSync(file, text);
  return file;
}

/** Runs `remora check -c file` and asserts exit 2 with exactly one stderr line matching. */
async function rejected(text: string, expected: RegExp): Promise<string> {
  const file = configFile(text);
  const r = await remora(['check', '-c', file]);
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr: ${r.stderr}`);
  assert.ok(lines[0]!.startsWith(`${file}`), `names the file: ${lines[0]}`);
  assert.match(lines[0]!, expected);
  return lines[0]!;
}

async function wasm(name: string, wat: string): Promise<string> {
  const file = join(dir, `${name}.wasm`);
  writeFileSync(file, await compileWat(wat, `${name}.wat`));
  return file;
}

describe('remora check -c FILE', { concurrency: 4 }, () => {
  it('exits 0 for a valid YAML config and summarises it', async () => {
    const file = configFile(VALID);
    const r = await remora(['check', '-c', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${file}: ok (1 listener, 1 cluster, 0 plugins)\n`);
    assert.equal(r.stderr, '');
  });

  it('exits 0 for a JSON config', async () => {
    const file = configFile(JSON.stringify({
      listeners: [{ name: 'l', address: '127.0.0.1:0', routes: [{ match: { path: '/' }, cluster: 'c' }] }],
      clusters: [{ name: 'c', endpoints: ['127.0.0.1:1'] }],
    }), 'json');
    assert.equal((await remora(['check', '-c', file])).code, 0);
  });

  it('unknown key', async () => {
    await rejected(VALID.replace('cluster: app', 'clustr: app'), /: listeners\[0\]\.routes\[0\]: unknown key "clustr"; did you mean "cluster"\?/);
  });

  it('wrong type', async () => {
    await rejected(VALID.replace('[127.0.0.1:8080]', '127.0.0.1:8080'), /: clusters\[0\]\.endpoints: expected a non-empty list of host:port/);
  });

  it('unknown cluster', async () => {
    await rejected(VALID.replace('cluster: app', 'cluster: backend'), /: listeners\[0\]\.routes\[0\]\.cluster: unknown cluster "backend"; defined clusters: app/);
  });

  it('unknown plugin', async () => {
    await rejected(VALID.replace('timeout: 2s', 'timeout: 2s\n        plugins: [auth]'), /: listeners\[0\]\.routes\[0\]\.plugins\[0\]: unknown plugin "auth"/);
  });

  it('unparsable duration', async () => {
    await rejected(VALID.replace('timeout: 2s', 'timeout: 2 seconds'), /: listeners\[0\]\.routes\[0\]\.timeout: expected a duration like 250ms, 5s, 1m, 1h or 1m30s, got "2 seconds"/);
  });

  it('YAML syntax error with line:column', async () => {
    await rejected(VALID.replace('    routes:', '    routes: [\n'), /^\S+:\d+:\d+: invalid YAML: /);
  });

  it('missing file', async () => {
    const r = await remora(['check', '-c', join(dir, 'nope.yaml')]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `${join(dir, 'nope.yaml')}: file not found\n`);
  });

  it('a plugin that is not WebAssembly', async () => {
    writeFileSync(join(dir, 'text.wasm'), 'hello');
    await rejected(`${VALID}plugins: [{ name: p, url: text.wasm }]\n`, /: plugins\[0\]\.url: .*text\.wasm is not a valid WebAssembly module/);
  });

  it('a Wasm module without a proxy-wasm ABI export', async () => {
    await wasm('plain', '(module (func (export "run")))');
    await rejected(`${VALID}plugins: [{ name: p, url: plain.wasm }]\n`, /: plugins\[0\]\.url: expected a proxy-wasm module .* it exports no proxy_abi_version_\* function/);
  });

  it('a proxy-wasm plugin that starts passes', async () => {
    await wasm('abi', MINIMAL_PLUGIN_WAT);
    const file = configFile(`${VALID}plugins: [{ name: p, url: abi.wasm }]\n`);
    const r = await remora(['check', '-c', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ok \(1 listener, 1 cluster, 1 plugin\)/);
  });
});

describe('remora check starts every plugin', () => {
  it('a plugin whose proxy_on_configure fails is bad config naming the plugin', async () => {
    await wasm('refuses', MINIMAL_PLUGIN_WAT.replace(
      '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))',
      '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 0))',
    ));
    const line = await rejected(`${VALID}plugins: [{ name: picky, url: refuses.wasm }]\n`, /: plugins\[0\]/);
    assert.match(line, /picky/);
    assert.match(line, /configure/i);
  });

  it("appends the plugin's own last log line to the one-line error", async () => {
    await wasm('explains', `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "config: missing issuer")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $log (i32.const 4) (i32.const 16) (i32.const 22)))
    (i32.const 0)))`);
    const line = await rejected(`${VALID}plugins: [{ name: jwt, url: explains.wasm }]\n`, /: plugins\[0\]/);
    // Ends like a schema error: the plugin's words, then the line of its entry.
    assert.ok(line.endsWith(`(plugin log: "config: missing issuer") (line ${VALID.split('\n').length})`), line);
  });

  it('names the file as the user gave it, as schema errors do', async () => {
    const file = configFile(`${VALID}plugins:\n  - name: jwt\n    url: explains.wasm\n`);
    const r = await remora(['check', '-c', basename(file)]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim(), `${basename(file)}: plugins[0]: plugin jwt: proxy_on_configure returned false (plugin log: "config: missing issuer") (line ${VALID.split('\n').length + 1})`);
  });
});

describe('remora arguments', { concurrency: 4 }, () => {
  it('a missing -c is bad arguments (exit 2)', async () => {
    const r = await remora(['check']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /required option '-c, --config <file>' not specified/);
  });

  it('an unknown command is bad arguments (exit 2)', async () => {
    const r = await remora(['serve']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'serve'/);
  });

  it('an unknown plugin subcommand is bad arguments (exit 2)', async () => {
    const r = await remora(['plugin', 'publish']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown subcommand "publish"; expected one of new, build, test/);
  });

  it('--version prints the package version and exits 0', async () => {
    const r = await remora(['--version']);
    assert.equal(r.code, 0);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('schema prints the JSON Schema the loader validates with', async () => {
    const r = await remora(['schema']);
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.stdout) as { $schema: string; required: string[]; additionalProperties: boolean };
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.deepEqual(schema.required, ['listeners']);
    assert.equal(schema.additionalProperties, false);
  });

  it('--help lists the commands and exits 0', async () => {
    const r = await remora(['--help']);
    assert.equal(r.code, 0);
    for (const command of ['run', 'check', 'schema', 'demo', 'plugin']) assert.match(r.stdout, new RegExp(`\\n  ${command}\\b`));
  });

  it('run with a bad config exits 2 before binding anything', async () => {
    const file = configFile(VALID.replace('cluster: app', 'cluster: nowhere'));
    const r = await remora(['run', '-c', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /: listeners\[0\]\.routes\[0\]\.cluster: unknown cluster "nowhere"/);
    assert.doesNotMatch(r.stdout, /ready/);
  });
});
