// `remora plugin new|build|test ...`: the plugin author workflow lives in the SDK.
// SEAM for the SDK engineer: `sdk/cli/<subcommand>.ts` exports
//   main(args: string[]): Promise<number>   // args after the subcommand; resolves to the exit code
// and owns its own argument parsing, help and messages.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXIT_BAD_INPUT } from './exit-codes.ts';

export const PLUGIN_SUBCOMMANDS = ['new', 'build', 'test'] as const;

/** Runs an SDK subcommand and resolves to its exit code. */
export async function runPluginCommand(subcommand: string, args: string[]): Promise<number> {
  if (!(PLUGIN_SUBCOMMANDS as readonly string[]).includes(subcommand)) {
    process.stderr.write(`remora plugin: unknown subcommand "${subcommand}"; expected one of ${PLUGIN_SUBCOMMANDS.join(', ')}\n`);
    return EXIT_BAD_INPUT;
  }
  const file = fileURLToPath(new URL(`../../sdk/cli/${subcommand}.ts`, import.meta.url));
  if (!existsSync(file)) {
    process.stderr.write(`remora plugin ${subcommand}: the SDK command is missing (${file}); reinstall Remora\n`);
    return EXIT_BAD_INPUT;
  }
  const mod = (await import(pathToFileURL(file).href)) as { main?: (args: string[]) => Promise<number> };
  if (typeof mod.main !== 'function') {
    process.stderr.write(`remora plugin ${subcommand}: ${file} does not export main(args)\n`);
    return EXIT_BAD_INPUT;
  }
  return mod.main(args);
}
