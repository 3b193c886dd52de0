// The long-running part of `remora run` and `remora demo`: start, then react to signals.
//   SIGTERM, SIGINT  stop accepting, drain in-flight requests for shutdownGracePeriod, exit 0
//                    (a second signal exits at once with 1)
//   SIGHUP           reload the same file; a bad new config is logged and the old one keeps serving
import { formatAddress } from '../config/address.ts';
import { ConfigError } from '../config/errors.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { createLogger } from '../log/logger.ts';
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_RUNTIME } from './exit-codes.ts';
import { releaseEarlySignals } from './early-signals.ts';
import { Remora } from './remora.ts';

export interface ServeHooks {
  /** Called once everything is up (the demo prints its curl lines here). */
  ready?(remora: Remora): void | Promise<void>;
  /** Called after Remora stopped, before the process exits (the demo stops its app here). */
  stopped?(): void | Promise<void>;
}

export async function serve(file: string, config: Config, hooks: ServeHooks = {}): Promise<void> {
  const log = createLogger(config);
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting');
    process.exit(EXIT_RUNTIME);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection; exiting');
    process.exit(EXIT_RUNTIME);
  });

  // Signal handlers go in before anything binds, so a signal during start-up never meets the
  // default action (SIGHUP would kill the process).
  let remora: Remora | undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting for in-flight requests');
      process.exit(EXIT_RUNTIME);
    }
    stopping = true;
    log.info({ signal }, 'signal received');
    // Before start-up finished nothing is serving yet: there is nothing to drain.
    if (!remora) process.exit(EXIT_OK);
    remora.stop()
      .then(() => hooks.stopped?.())
      .then(
        () => process.exit(EXIT_OK),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(EXIT_RUNTIME);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  // Reloads run one at a time, in signal order, and only once start-up is done.
  let started!: (r: Remora) => void;
  let reloads: Promise<unknown> = new Promise<Remora>((resolve) => (started = resolve));
  const onHup = () => {
    reloads = reloads.then(() => reload(remora!, file));
  };
  process.on('SIGHUP', onHup);
  if (releaseEarlySignals()) onHup();

  try {
    remora = await Remora.start(config, { log });
  } catch (e) {
    const bad = e instanceof ConfigError;
    const message = startFailure(e as NodeJS.ErrnoException);
    log.fatal({ err: message }, 'remora failed to start');
    process.stderr.write(`${bad ? '' : 'remora: '}${message}\n`);
    await hooks.stopped?.();
    process.exit(bad ? EXIT_BAD_INPUT : EXIT_RUNTIME);
  }
  started(remora);

  await hooks.ready?.(remora);
}

async function reload(remora: Remora, file: string): Promise<void> {
  if (file.startsWith('<')) {
    remora.log.warn({ config: file }, 'SIGHUP ignored: the config is embedded, not a file');
    return;
  }
  remora.log.info({ config: file }, 'reloading config');
  try {
    const next = await loadConfig(file);
    const before = remora.currentConfig;
    const bound = remora.adminAddress();
    const same = next.admin.address === before.admin.address || (bound && next.admin.address === formatAddress(bound.host, bound.port));
    if (!same) {
      remora.log.warn({ from: before.admin.address, to: next.admin.address }, 'admin.address changes take effect on restart');
    }
    await remora.reload(next);
  } catch (e) {
    remora.metrics.configReload(false);
    remora.log.error({ config: file, error: (e as Error).message, serving: 'previous config' }, 'config reload failed');
  }
}

/** A start failure in words a user can act on (a taken port names the port). */
function startFailure(e: NodeJS.ErrnoException & { address?: string; port?: number }): string {
  if (e.code === 'EADDRINUSE' && e.port !== undefined) {
    return `cannot listen on ${e.address ?? ''}:${e.port}: port ${e.port} is already in use`;
  }
  if (e.code === 'EACCES' && e.port !== undefined) {
    return `cannot listen on ${e.address ?? ''}:${e.port}: permission denied (ports below 1024 need privileges)`;
  }
  return e.message;
}
