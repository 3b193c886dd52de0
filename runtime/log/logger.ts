// pino JSON lines on stdout, one object per event: `{"level":"info","time":...,"msg":"listener ready",...}`.
// Level from config `log.level`; the REMORA_LOG environment variable wins so an operator can turn
// on debug output without editing the file. Writes are asynchronous (the access log sits on the
// request path); pino flushes what is buffered when the process exits.
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { LogConfig } from '../config/types.ts';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The level to use: REMORA_LOG when it names a level, else the configured one. */
export function effectiveLevel(configured: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.REMORA_LOG?.trim().toLowerCase();
  return fromEnv && (LOG_LEVELS as readonly string[]).includes(fromEnv) ? fromEnv : configured;
}

export interface LoggerOptions {
  /** Where lines go; default stdout (fd 1). Tests pass a stream to capture lines. */
  destination?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

export function createLogger(config: { log: LogConfig }, options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false });
  const level = effectiveLevel(config.log.level, env);
  const log = pino({ level, base: undefined, formatters: { level: (label) => ({ level: label }) } }, destination);
  const fromEnv = env.REMORA_LOG?.trim().toLowerCase();
  if (fromEnv && fromEnv !== level) {
    log.warn({ REMORA_LOG: env.REMORA_LOG, expected: LOG_LEVELS.join(', ') }, 'ignoring REMORA_LOG: not a log level');
  }
  return log;
}

/** Applies a reloaded config's level (REMORA_LOG still wins). */
export function applyLogConfig(log: Logger, config: { log: LogConfig }, env: NodeJS.ProcessEnv = process.env): void {
  log.level = effectiveLevel(config.log.level, env);
}
