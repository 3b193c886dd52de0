// Wall-clock time from the host (the ABI's clock; no WASI import needed).
import { proxy_get_current_time_nanoseconds } from "./imports";
import { OUT_VALUE } from "./memory";

/** Nanoseconds since the Unix epoch. */
export function currentTimeNanos(): u64 {
  store<u64>(OUT_VALUE, 0);
  proxy_get_current_time_nanoseconds(OUT_VALUE);
  return load<u64>(OUT_VALUE);
}
