// `remora plugin test [dir]`: builds the plugin, then runs <dir>/test/**/*.test.ts with node:test.
import { parseArgs, subcommand } from './command.ts';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildProject } from './build.ts';

export async function main(args: string[]): Promise<number> {
  const cli = subcommand('remora plugin test', 'build the plugin and run its tests (node --test test/**/*.test.ts)')
    .argument('[dir]', 'plugin project folder', '.')
    .option('--no-build', 'run the tests against the current build/plugin.wasm');
  const exit = parseArgs(cli, args);
  if (exit !== undefined) return exit;
  const dir = resolve(cli.args[0] ?? '.');
  if (!existsSync(join(dir, 'test'))) {
    process.stderr.write(`remora plugin test: ${join(dir, 'test')} not found (is ${dir} a plugin project?)\n`);
    return 2;
  }
  if (cli.opts<{ build: boolean }>().build) {
    const code = await buildProject(dir);
    if (code !== 0) return code;
  }
  // process.execPath: the Node 24 running Remora, which strips the tests' TypeScript types.
  // Without NODE_TEST_CONTEXT: when `remora plugin test` itself runs under node:test, the child
  // would otherwise report in the parent runner's binary protocol instead of printing results.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--test', 'test/**/*.test.ts'], { cwd: dir, stdio: 'inherit', env });
  return new Promise<number>((done) => {
    child.on('error', (e) => {
      process.stderr.write(`remora plugin test: ${e.message}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}
