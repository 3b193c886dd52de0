// Logging through proxy_log; the host prefixes plugin name/root id and applies its level.
import { proxy_log, proxy_get_log_level } from "./imports";
import { LogLevel } from "./enums";
import { OUT_VALUE, utf8, ptrOf } from "./memory";

function write(level: LogLevel, message: string): void {
  const bytes = utf8(message);
  proxy_log(<u32>level, ptrOf(bytes), <usize>bytes.byteLength);
}

/** `log.info("...")` and friends. */
export class log {
  static trace(message: string): void { write(LogLevel.Trace, message); }
  static debug(message: string): void { write(LogLevel.Debug, message); }
  static info(message: string): void { write(LogLevel.Info, message); }
  static warn(message: string): void { write(LogLevel.Warn, message); }
  static error(message: string): void { write(LogLevel.Error, message); }
  static critical(message: string): void { write(LogLevel.Critical, message); }
  static at(level: LogLevel, message: string): void { write(level, message); }

  /** The host's current level: skip building expensive messages below it. */
  static level(): LogLevel {
    store<u32>(OUT_VALUE, <u32>LogLevel.Info);
    proxy_get_log_level(OUT_VALUE);
    const level = load<u32>(OUT_VALUE);
    return level > 5 ? LogLevel.Critical : <LogLevel>level;
  }
}
