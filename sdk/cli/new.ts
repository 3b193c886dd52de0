// `remora plugin new NAME`: scaffolds a plugin project in ./NAME (NAME may be a path).
import { parseArgs, subcommand } from './command.ts';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { SDK_ROOT } from './compile.ts';
import { projectFiles } from './templates.ts';

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

export async function main(args: string[]): Promise<number> {
  const cli = subcommand('remora plugin new', 'scaffold a proxy-wasm plugin project (AssemblyScript source, config example, test)')
    .argument('<name>', 'plugin name (lower case, digits, dashes), or a path whose last part is the name');
  const exit = parseArgs(cli, args);
  if (exit !== undefined) return exit;
  const target = resolve(cli.args[0]!);
  const name = basename(target);
  if (!NAME.test(name)) {
    process.stderr.write(`remora plugin new: invalid name "${name}": expected lower-case letters, digits and dashes, starting with a letter\n`);
    return 2;
  }
  if (existsSync(target) && readdirSync(target).length > 0) {
    process.stderr.write(`remora plugin new: ${target} already exists and is not empty\n`);
    return 2;
  }
  for (const [file, content] of Object.entries(projectFiles(name, target))) {
    const path = join(target, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  // What `npm install` would do for the file: dependency, done here so the project works at once
  // and offline: the AssemblyScript compiler and node both resolve @remora/sdk through it.
  mkdirSync(join(target, 'node_modules', '@remora'), { recursive: true });
  symlinkSync(relative(join(target, 'node_modules', '@remora'), SDK_ROOT), join(target, 'node_modules', '@remora', 'sdk'), 'dir');
  const rel = relative(process.cwd(), target);
  const shown = rel === '' ? '.' : rel.startsWith('..') ? target : rel;
  process.stdout.write(
    `created plugin project ${shown}\n` +
    `  ${shown}/assembly/index.ts   the plugin (AssemblyScript, proxy-wasm ABI 0.2.1)\n` +
    `  ${shown}/test/plugin.test.ts unit tests with the harness\n` +
    `  ${shown}/remora.yaml         Remora config attaching it to a route\n` +
    // The project's npm scripts call this checkout's bin, so they work from any shell, with no
    // `remora` on PATH.
    `next:\n  cd ${shown}\n  npm test         build and run the tests\n  npm run build    build only\n  npm start        run Remora with remora.yaml\n`,
  );
  return 0;
}
