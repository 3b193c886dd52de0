// Host properties (Envoy attributes): request.path, source.address, plugin_name, ... and filter state.
// Values come back in Envoy's binary encodings; the decoders below read them.
import { proxy_get_property, proxy_set_property } from "./imports";
import { WasmResult } from "./enums";
import { Header, OUT_PTR, OUT_SIZE, resetOut, takeResult, utf8, fromUtf8, ptrOf, deserializePairs } from "./memory";

/** Joins path segments with NUL, the ABI's property path format. */
function encodePath(path: string[]): ArrayBuffer {
  let joined = "";
  for (let i = 0; i < path.length; i++) {
    if (i > 0) joined += "\0";
    joined += path[i];
  }
  return utf8(joined);
}

/** Raw bytes of a property (e.g. ["request", "path"]), or null when the host does not know it now. */
export function getProperty(path: string[]): ArrayBuffer | null {
  const p = encodePath(path);
  resetOut();
  const status = proxy_get_property(ptrOf(p), <usize>p.byteLength, OUT_PTR, OUT_SIZE);
  if (status != WasmResult.Ok) return null;
  return takeResult();
}

/** Stores `value` as filter state readable later in this stream as getProperty(path). */
export function setProperty(path: string[], value: ArrayBuffer): WasmResult {
  const p = encodePath(path);
  return <WasmResult>proxy_set_property(ptrOf(p), <usize>p.byteLength, ptrOf(value), <usize>value.byteLength);
}

/** string / bytes attributes: raw UTF-8. */
export function decodeString(bytes: ArrayBuffer): string {
  return fromUtf8(bytes);
}

/** int / uint / duration (ns) / timestamp (ns) attributes: 8 bytes little-endian. */
export function decodeInt64(bytes: ArrayBuffer): i64 {
  if (bytes.byteLength < 8) return 0;
  return load<i64>(changetype<usize>(bytes));
}

/** bool attributes: one byte. */
export function decodeBool(bytes: ArrayBuffer): bool {
  return bytes.byteLength > 0 && load<u8>(changetype<usize>(bytes)) != 0;
}

/** map attributes (e.g. request.headers): pairs. */
export function decodeMap(bytes: ArrayBuffer): Header[] {
  return deserializePairs(bytes);
}

export function getPropertyString(path: string[]): string | null {
  const bytes = getProperty(path);
  return bytes === null ? null : decodeString(bytes);
}

export function getPropertyInt64(path: string[], fallback: i64 = 0): i64 {
  const bytes = getProperty(path);
  return bytes === null || bytes.byteLength < 8 ? fallback : decodeInt64(bytes);
}

export function getPropertyBool(path: string[], fallback: bool = false): bool {
  const bytes = getProperty(path);
  return bytes === null || bytes.byteLength == 0 ? fallback : decodeBool(bytes);
}
