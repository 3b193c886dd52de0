// What every `remora plugin <subcommand>` shares: a commander Command that reports usage errors on
// stderr and returns an exit code instead of exiting, so main(args) stays callable from tests.
import { Command, CommanderError } from 'commander';

/** A subcommand parser that throws (CommanderError) where commander would exit the process. */
export function subcommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/**
 * Parses `args` (user arguments, no node/script). Returns undefined when the command should run, or
 * the exit code to end with: 0 after --help, 2 for a usage error (already printed).
 */
export function parseArgs(cli: Command, args: string[]): number | undefined {
  try {
    cli.parse(args, { from: 'user' });
    return undefined;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
}
