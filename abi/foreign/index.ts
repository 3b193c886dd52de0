// Foreign functions (proxy_call_foreign_function) the host offers to every plugin. Remora's plugin
// host and the SDK's test harness both answer with these, so a plugin behaves the same in its tests.
import { deflateSync, inflateSync } from 'node:zlib';

/** Runs foreign function `name`; `undefined` for names it does not know (NOT_FOUND). */
export function standardForeignFunction(name: string, args: Uint8Array): Uint8Array | undefined {
  switch (name) {
    // Envoy's pair: zlib format both ways; input that does not inflate gives an empty result.
    case 'compress':
      return deflateSync(args);
    case 'uncompress':
      try {
        return inflateSync(args);
      } catch {
        return new Uint8Array(0);
      }
    default:
      return undefined;
  }
}
