// Bytes between abi/ (plain Uint8Arrays) and the data plane's filter interface (Buffers).

import type { BodyBuffer } from '../filter/types.ts';

/** A Buffer view of `u`, without copying. */
export const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

/**
 * After a callback (or a resume): if the plugin replaced the bytes it was shown (`now`, read back
 * from the stream), they become what the data plane moves on. Unchanged bytes keep the data plane's
 * own Buffer; no target (nothing shown yet) means nothing to take.
 */
export function takePluginEdit(target: BodyBuffer | undefined, now: Uint8Array | undefined): void {
  if (target && now !== undefined && now !== target.bytes) target.bytes = asBuffer(now);
}
