// The `remora` commands (commander). Exit codes: 0 ok, 1 runtime failure, 2 bad config or bad
// arguments, with one line on stderr naming file, field path and expectation.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { checkPlugins } from './check.ts';
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_RUNTIME } from './exit-codes.ts';
import { runPluginCommand } from './plugin-command.ts';

function program(): Command {
  const cli = new Command('remora')
    .description('A small, fast sidecar proxy programmed with proxy-wasm plugins')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run `remora --help` for usage)');

  cli.command('run')
    .description('run the proxy with a config file (YAML or JSON)')
    .requiredOption('-c, --config <file>', 'config file')
    .action(async (opts: { config: string }) => {
      const config = await loadConfig(opts.config);
      // Loaded lazily: `check` and `plugin` start faster without pino, prom-client and the proxy.
      const { serve } = await import('./serve.ts');
      await serve(opts.config, config);
    });

  cli.command('check')
    .description('validate a config and its plugins without serving; exit 0 valid, 2 invalid')
    .requiredOption('-c, --config <file>', 'config file')
    .action(async (opts: { config: string }) => {
      const config = await loadConfig(opts.config);
      await checkPlugins(config);
      process.stdout.write(`${opts.config}: ok (${summary(config)})\n`);
      // Exit now: a plugin may have left a timer (tick period) behind that would keep us alive.
      process.exit(EXIT_OK);
    });

  cli.command('schema')
    .description('print the config file JSON Schema (for editors: yaml-language-server, VS Code)')
    .action(async () => {
      const { configSchema } = await import('../config/schema.ts');
      process.stdout.write(`${JSON.stringify(configSchema, null, 2)}\n`);
    });

  cli.command('demo')
    .description('run a demo app on 127.0.0.1:8080 behind Remora (inbound 4143, outbound 4140, admin 4191)')
    .action(async () => {
      const { runDemo } = await import('../demo/demo.ts');
      await runDemo();
    });

  cli.command('plugin')
    .description('plugin author workflow: new NAME | build | test')
    .argument('<subcommand>', 'new, build or test')
    .argument('[args...]', 'arguments for the subcommand')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (subcommand: string, args: string[]) => {
      process.exitCode = await runPluginCommand(subcommand, args);
    });

  return cli;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function summary(config: Config): string {
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  return [n(config.listeners.length, 'listener'), n(config.clusters.length, 'cluster'), n(config.plugins.length, 'plugin')].join(', ');
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version exit 0; every other parse failure is bad arguments (commander printed why).
      process.exit(e.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT);
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(EXIT_BAD_INPUT);
    }
    process.stderr.write(`remora: ${(e as Error).message ?? String(e)}\n`);
    process.exit(EXIT_RUNTIME);
  }
}

