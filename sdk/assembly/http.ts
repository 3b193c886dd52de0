// The HTTP stream seen from a plugin: header/trailer maps, bodies, local replies and stream control.
// All calls act on the host's effective context (the stream whose callback is running).
import {
  proxy_get_header_map_pairs, proxy_set_header_map_pairs, proxy_get_header_map_value,
  proxy_add_header_map_value, proxy_replace_header_map_value, proxy_remove_header_map_value,
  proxy_get_buffer_bytes, proxy_set_buffer_bytes, proxy_get_buffer_status,
  proxy_send_local_response, proxy_continue_stream, proxy_close_stream,
} from "./imports";
import { BufferType, MapType, StreamType, WasmResult } from "./enums";
import {
  Header, OUT_PTR, OUT_SIZE, OUT_VALUE, resetOut, takeResult, utf8, fromUtf8, ptrOf,
  serializePairs, deserializePairs,
} from "./memory";

/** One header (or trailer, or call-response header) map of the current stream. */
export class HeaderMap {
  constructor(public readonly mapType: MapType) {}

  /** First value of `name` (case-insensitive), or null when absent. */
  get(name: string): string | null {
    const key = utf8(name);
    resetOut();
    const status = proxy_get_header_map_value(<u32>this.mapType, ptrOf(key), <usize>key.byteLength, OUT_PTR, OUT_SIZE);
    if (status != WasmResult.Ok) return null;
    return fromUtf8(takeResult());
  }

  has(name: string): bool {
    return this.get(name) !== null;
  }

  /** Sets `name` to one value, replacing every existing entry. */
  set(name: string, value: string): WasmResult {
    const key = utf8(name);
    const val = utf8(value);
    return <WasmResult>proxy_replace_header_map_value(<u32>this.mapType, ptrOf(key), <usize>key.byteLength, ptrOf(val), <usize>val.byteLength);
  }

  /** Appends another entry for `name` (existing entries stay). */
  add(name: string, value: string): WasmResult {
    const key = utf8(name);
    const val = utf8(value);
    return <WasmResult>proxy_add_header_map_value(<u32>this.mapType, ptrOf(key), <usize>key.byteLength, ptrOf(val), <usize>val.byteLength);
  }

  /** Removes every entry for `name`; absent is fine. */
  remove(name: string): WasmResult {
    const key = utf8(name);
    return <WasmResult>proxy_remove_header_map_value(<u32>this.mapType, ptrOf(key), <usize>key.byteLength);
  }

  /** Every entry in wire order, duplicates as separate entries, pseudo-headers (":path") included. */
  all(): Header[] {
    resetOut();
    const status = proxy_get_header_map_pairs(<u32>this.mapType, OUT_PTR, OUT_SIZE);
    if (status != WasmResult.Ok) return new Array<Header>();
    return deserializePairs(takeResult());
  }

  /** Replaces the whole map. */
  setAll(headers: Header[]): WasmResult {
    const pairs = serializePairs(headers);
    return <WasmResult>proxy_set_header_map_pairs(<u32>this.mapType, ptrOf(pairs), <usize>pairs.byteLength);
  }
}

/** Replace-everything size for proxy_set_buffer_bytes (Envoy: start 0 and size >= length). */
const WHOLE: u32 = 0xffffffff;

/** A body (or call response body, or configuration) buffer of the current context. */
export class Body {
  constructor(public readonly bufferType: BufferType) {}

  /** Bytes currently available (cumulative while the plugin buffers with Action.Pause). */
  size(): u32 {
    store<u32>(OUT_VALUE, 0);
    store<u32>(OUT_VALUE, 0, 4);
    const status = proxy_get_buffer_status(<u32>this.bufferType, OUT_VALUE, OUT_VALUE + 4);
    return status == WasmResult.Ok ? load<u32>(OUT_VALUE) : 0;
  }

  /** Up to `maxSize` bytes from `start`; empty when unavailable. */
  get(start: u32 = 0, maxSize: u32 = WHOLE): ArrayBuffer {
    resetOut();
    const status = proxy_get_buffer_bytes(<u32>this.bufferType, start, maxSize, OUT_PTR, OUT_SIZE);
    if (status != WasmResult.Ok) return new ArrayBuffer(0);
    return takeResult();
  }

  /** The body as UTF-8 text. */
  text(): string {
    return fromUtf8(this.get());
  }

  /** Replaces the whole body. Remove `content-length` in the headers callback if the size changes. */
  set(data: ArrayBuffer): WasmResult {
    return <WasmResult>proxy_set_buffer_bytes(<u32>this.bufferType, 0, WHOLE, ptrOf(data), <usize>data.byteLength);
  }

  setText(text: string): WasmResult {
    return this.set(utf8(text));
  }

  append(data: ArrayBuffer): WasmResult {
    return <WasmResult>proxy_set_buffer_bytes(<u32>this.bufferType, WHOLE, 0, ptrOf(data), <usize>data.byteLength);
  }

  prepend(data: ArrayBuffer): WasmResult {
    return <WasmResult>proxy_set_buffer_bytes(<u32>this.bufferType, 0, 0, ptrOf(data), <usize>data.byteLength);
  }
}

/** Headers, body and trailers of one direction of the stream. */
export class HttpMessage {
  readonly headers: HeaderMap;
  readonly trailers: HeaderMap;
  readonly body: Body;
  constructor(headers: MapType, trailers: MapType, body: BufferType) {
    this.headers = new HeaderMap(headers);
    this.trailers = new HeaderMap(trailers);
    this.body = new Body(body);
  }
}

/** The downstream request: `request.headers.get(":path")`, `request.body.text()`. */
export const request = new HttpMessage(MapType.HttpRequestHeaders, MapType.HttpRequestTrailers, BufferType.HttpRequestBody);
/** The response going downstream: `response.headers.set("x-served-by", "me")`. */
export const response = new HttpMessage(MapType.HttpResponseHeaders, MapType.HttpResponseTrailers, BufferType.HttpResponseBody);

/**
 * Answers the downstream instead of the upstream. `headers` are added to the reply; `grpcStatus` -1 means
 * a plain HTTP reply. The host applies it after the current callback returns, whatever that returns.
 */
export function sendLocalReply(status: u32, body: string = "", headers: Header[] = [], grpcStatus: i32 = -1, details: string = ""): WasmResult {
  const b = utf8(body);
  const d = utf8(details);
  const h = serializePairs(headers);
  return <WasmResult>proxy_send_local_response(status, ptrOf(d), <usize>d.byteLength, ptrOf(b), <usize>b.byteLength,
    ptrOf(h), <usize>h.byteLength, grpcStatus);
}

/** Resumes a request paused with Action.Pause (acts on the effective context). */
export function continueRequest(): WasmResult {
  return <WasmResult>proxy_continue_stream(<u32>StreamType.HttpRequest);
}

/** Resumes a response paused with Action.Pause (acts on the effective context). */
export function continueResponse(): WasmResult {
  return <WasmResult>proxy_continue_stream(<u32>StreamType.HttpResponse);
}

/** Resets the stream (HTTP: no response is sent). */
export function closeStream(streamType: StreamType = StreamType.HttpRequest): WasmResult {
  return <WasmResult>proxy_close_stream(<u32>streamType);
}

/** One direction of a TCP connection: `downstream.data.text()`, `upstream.data.set(bytes)`. */
export class TcpDirection {
  readonly data: Body;
  constructor(buffer: BufferType) {
    this.data = new Body(buffer);
  }
}

/** Bytes from the client, in TCP callbacks. */
export const downstream = new TcpDirection(BufferType.DownstreamData);
/** Bytes from the upstream, in TCP callbacks. */
export const upstream = new TcpDirection(BufferType.UpstreamData);
