// `remora plugin new | build | test` end to end, as a new user runs them: the real bin, a temp dir.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REMORA_ROOT } from './compile.ts';

const bin = join(REMORA_ROOT, 'bin', 'remora.js');
const work = mkdtempSync(join(tmpdir(), 'remora-plugin-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function remora(args: string[], cwd = work): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('remora plugin', () => {
  it('new scaffolds a project whose build and tests pass', async () => {
    const created = await remora(['plugin', 'new', 'my-filter']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created plugin project my-filter/);
    const dir = join(work, 'my-filter');
    for (const f of ['assembly/index.ts', 'test/plugin.test.ts', 'config.example.json', 'remora.yaml', 'README.md', 'package.json']) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    assert.equal(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies['@remora/sdk'].startsWith('file:'), true);

    const tested = await remora(['plugin', 'test'], dir);
    assert.equal(tested.code, 0, tested.stdout + tested.stderr);
    assert.match(tested.stdout, /built build\/plugin\.wasm \(\d+ bytes\)/);
    assert.match(tested.stdout, /ℹ pass 3\n/);
    assert.match(tested.stdout, /ℹ fail 0\n/);

    // What the scaffold says to do next works as printed: the project's npm scripts.
    assert.match(created.stdout, /next:\n  cd my-filter\n  npm test /);
    const viaNpm = spawnSync('npm', ['test'], { cwd: dir, encoding: 'utf8' });
    assert.equal(viaNpm.status, 0, viaNpm.stdout + viaNpm.stderr);
    assert.match(viaNpm.stdout, /ℹ pass 3\n/);
    // "a header-adding plugin under 20 KB"
    assert.ok(statSync(join(dir, 'build', 'plugin.wasm')).size < 20 * 1024);

    // A stray trace() makes the module import env.trace: the build says it will not load.
    const source = join(dir, 'assembly', 'index.ts');
    writeFileSync(source, readFileSync(source, 'utf8').replace('return Action.Continue;', 'trace("debugging");\n    return Action.Continue;'));
    const warned = await remora(['plugin', 'build'], dir);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /warning: the module imports env\.trace, which neither Remora nor Envoy provide/);
  });

  it('build reports compiler errors with exit 1 and keeps no partial output', async () => {
    const dir = join(work, 'broken');
    mkdirSync(join(dir, 'assembly'), { recursive: true });
    writeFileSync(join(dir, 'assembly', 'index.ts'), 'export function f(): i32 { return undefinedThing; }\n');
    const r = await remora(['plugin', 'build', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot find name 'undefinedThing'/);
    assert.match(r.stderr, /compiling .*index\.ts failed/);
    assert.equal(existsSync(join(dir, 'build', 'plugin.wasm')), false);
  });

  it('refuses bad names, non-empty targets and folders that are not projects (exit 2)', async () => {
    const bad = await remora(['plugin', 'new', 'Bad_Name']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid name "Bad_Name"/);
    mkdirSync(join(work, 'taken'));
    writeFileSync(join(work, 'taken', 'file'), 'x');
    const taken = await remora(['plugin', 'new', 'taken']);
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /already exists and is not empty/);
    const notProject = await remora(['plugin', 'build', join(work, 'taken')]);
    assert.equal(notProject.code, 2);
    assert.match(notProject.stderr, /assembly\/index\.ts not found/);
    const noTests = await remora(['plugin', 'test', join(work, 'taken')]);
    assert.equal(noTests.code, 2);
    const missingArg = await remora(['plugin', 'new']);
    assert.equal(missingArg.code, 2);
  });
});
