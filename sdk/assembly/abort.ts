// Replacements for the two non-standard imports AssemblyScript would otherwise emit (`env.abort`,
// `env.seed`), which Envoy does not provide. The build wires them with
//   --use abort=~lib/@remora/sdk/assembly/abort/remora_abort --use seed=~lib/@remora/sdk/assembly/abort/remora_seed
import { decimal } from "./memory";
import { proxy_log, proxy_get_current_time_nanoseconds } from "./imports";

/**
 * AssemblyScript's `abort` (failed assertion, out-of-bounds, unreachable code): logs the reason at
 * CRITICAL through proxy_log, then traps, which the host treats as a failed VM. Wired with
 * `--use abort=remora_abort` so the module imports no non-standard `env.abort`.
 */
export function remora_abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = "abort: " + (message === null ? "" : message);
  if (fileName !== null) text += " at " + fileName + ":" + decimal(line) + ":" + decimal(column);
  const bytes = String.UTF8.encode(text);
  proxy_log(5, changetype<usize>(bytes), <usize>bytes.byteLength);
  unreachable();
}

/** Seed for Math.random (`--use seed=remora_seed`): host time, instead of a non-standard `env.seed`. */
export function remora_seed(): f64 {
  proxy_get_current_time_nanoseconds(changetype<usize>(TIME_SCRATCH));
  return <f64>load<u64>(TIME_SCRATCH);
}
const TIME_SCRATCH: usize = memory.data(8);
