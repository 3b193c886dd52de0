// Interpreting callback return values (reference §2.2). Rust/Go return only 0/1; C++ and
// AssemblyScript leak Envoy's richer filter statuses, which are accepted too.

import { StreamAction } from '../types.ts';

/** Headers: 0 Continue, 2 ContinueAndEndStream (= Continue); 1, 3, 4 and larger stop everything. */
export function headersAction(r: number): StreamAction {
  const v = r >>> 0;
  return v === 0 || v === 2 ? StreamAction.Continue : StreamAction.Stop;
}

/** Body / data: 0 Continue; 1 StopIterationAndBuffer, 2 ...AndWatermark buffer; 3+ NoBuffer stops. */
export function bodyAction(r: number): StreamAction {
  const v = r >>> 0;
  if (v === 0) return StreamAction.Continue;
  return v <= 2 ? StreamAction.Buffer : StreamAction.Stop;
}

/** Trailers and TCP callbacks: 0 Continue, anything else stops. */
export function stopAction(r: number): StreamAction {
  return (r >>> 0) === 0 ? StreamAction.Continue : StreamAction.Stop;
}
