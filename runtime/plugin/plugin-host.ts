// The PluginHost (abi/host.ts) Remora gives each plugin: pino logging with the plugin's name,
// callouts to configured clusters, the standard foreign functions (abi/foreign).

import { standardForeignFunction, type PluginHost } from '../../abi/index.ts';
import type { Logger } from '../log/logger.ts';
import type { CalloutEndpoints } from './cluster-endpoints.ts';
import { startHttpCallout } from './http-callout.ts';
import { startGrpc } from './grpc-callout.ts';

/** proxy-wasm levels 0..5 -> pino methods. */
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
/** pino level names -> proxy-wasm levels (silent -> 5, the highest the SDKs know). */
const FROM_PINO: Record<string, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5, silent: 5 };

export function pluginHost(name: string, log: Logger, endpoints: CalloutEndpoints): PluginHost {
  const plog = log.child({ plugin: name });
  return {
    log(level, message) {
      const method = LEVELS[level] ?? 'info';
      plog[method]({ wasm: true }, message);
    },
    logLevel: () => FROM_PINO[plog.level] ?? 2,
    httpCall: (req, done) => startHttpCallout(endpoints, req, done),
    grpcCall: (req, events) => startGrpc(endpoints, req, events, false),
    grpcStream: (req, events) => startGrpc(endpoints, req, events, true) as ReturnType<NonNullable<PluginHost['grpcStream']>>,
    foreignFunction: standardForeignFunction,
  };
}
