// `remora plugin build [dir]`: compiles <dir>/assembly/index.ts to <dir>/build/plugin.wasm.
import { parseArgs, subcommand } from './command.ts';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { compilePlugin } from './compile.ts';

export interface BuildOptions {
  out?: string;
  debug?: boolean;
  wat?: boolean;
}

/** Builds the project in `dir`; returns the exit code and prints one line (or the diagnostics). */
export async function buildProject(dir: string, opts: BuildOptions = {}): Promise<number> {
  const entry = join(dir, 'assembly', 'index.ts');
  if (!existsSync(entry)) {
    process.stderr.write(`remora plugin build: ${entry} not found (is ${dir} a plugin project? see \`remora plugin new\`)\n`);
    return 2;
  }
  const out = resolve(dir, opts.out ?? join('build', 'plugin.wasm'));
  const r = await compilePlugin({ entry, out, debug: opts.debug, wat: opts.wat });
  if (!r.ok) {
    process.stderr.write(`${r.diagnostics}\nremora plugin build: compiling ${relative(process.cwd(), entry)} failed\n`);
    return 1;
  }
  if (r.diagnostics) process.stderr.write(`${r.diagnostics}\n`);
  if (r.foreignImports.length > 0) {
    process.stderr.write(`warning: the module imports ${r.foreignImports.join(', ')}, which neither Remora nor Envoy provide: ` +
      'it will fail to load (remove the call that needs it, e.g. trace() or console.log)\n');
  }
  process.stdout.write(`built ${relative(process.cwd(), out) || out} (${r.size} bytes)\n`);
  return 0;
}

export async function main(args: string[]): Promise<number> {
  const cli = subcommand('remora plugin build', 'compile a plugin project with the AssemblyScript compiler (optimised, small)')
    .argument('[dir]', 'plugin project folder', '.')
    .option('-o, --out <file>', 'output .wasm (default <dir>/build/plugin.wasm)')
    .option('--debug', 'debug build: assertions, names and source map')
    .option('--wat', 'also write the text format next to the .wasm');
  const exit = parseArgs(cli, args);
  if (exit !== undefined) return exit;
  const opts = cli.opts<BuildOptions>();
  return buildProject(resolve(cli.args[0] ?? '.'), opts);
}
