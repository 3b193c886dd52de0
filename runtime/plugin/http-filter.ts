// An HttpFilter backed by one proxy-wasm stream context: the data plane's callbacks become
// proxy_on_* calls, header maps are shared in place, bodies are exposed as the plugin's buffers,
// and the plugin's deferred actions (continue, local reply, reset) reach the stream's control.

import { MapType, StreamAction, StreamType, type HttpStream, type LocalReply, type PropertyValue, type StreamHost } from '../../abi/index.ts';
import { FilterStatus, type BodyBuffer, type HeaderMap, type HttpFilter, type HttpStreamControl } from '../filter/types.ts';
import type { PluginSlot } from './plugin-slot.ts';
import { failStream } from './fail-reply.ts';
import { httpProperty } from './properties.ts';
import { asBuffer, takePluginEdit } from './plugin-bytes.ts';

/** Envoy's default per-stream buffer limit (1 MiB): 413 for requests, 500 for responses beyond it. */
export const BODY_BUFFER_LIMIT = 1024 * 1024;


export class WasmHttpFilter implements HttpFilter, StreamHost {
  private readonly slot: PluginSlot;
  private readonly control: HttpStreamControl;
  private readonly stream: HttpStream;
  /** failStrategy open after a failure: the rest of this stream skips the plugin. */
  private bypass = false;
  /** Stop calling the VM (failed, local reply for over-limit body). */
  private ended = false;
  /** The body objects last shown to the plugin, so edits made while paused reach the data plane. */
  private requestBody: BodyBuffer | undefined;
  private responseBody: BodyBuffer | undefined;
  /** Stops watching the VM for failure (set while the stream is paused waiting for the plugin). */
  private unwatch: (() => void) | undefined;
  /** The slot's stream count was given back (onLog and onDone may both end the stream). */
  private released = false;

  constructor(slot: PluginSlot, control: HttpStreamControl) {
    this.slot = slot;
    this.control = control;
    this.stream = slot.plugin.httpStream(this);
    slot.retain();
  }

  // ---- StreamHost: the plugin's deferred actions ------------------------------------------------

  continueStream(type: number): void {
    if (type === StreamType.HttpRequest) {
      takePluginEdit(this.requestBody, this.stream.requestBody);
      this.control.resumeRequest();
    } else if (type === StreamType.HttpResponse) {
      takePluginEdit(this.responseBody, this.stream.responseBody);
      this.control.resumeResponse();
    }
  }

  closeStream(_type: number): void {
    this.control.resetStream('wasm_close_stream');
  }

  sendLocalResponse(reply: LocalReply): void {
    const headers: HeaderMap = reply.headers.slice();
    let status = reply.status;
    let body: Buffer = asBuffer(reply.body);
    const ct = this.control.info.requestHeaders?.find(([k]) => k === 'content-type')?.[1];
    if (reply.grpcStatus !== undefined && ct?.startsWith('application/grpc')) {
      // gRPC: trailers-only style error with the body text as grpc-message.
      status = 200;
      headers.push(['content-type', 'application/grpc'], ['grpc-status', String(reply.grpcStatus)], ['grpc-message', encodeURIComponent(body.toString())]);
      body = Buffer.alloc(0);
    }
    this.control.sendLocalReply(status, headers, body, reply.details || 'wasm_local_reply');
  }

  property(path: string[]): PropertyValue | undefined {
    return httpProperty(path, this.control.info);
  }

  // ---- HttpFilter ---------------------------------------------------------------------------

  /** Applies the fail strategy after the VM failed; returns what the data plane should do. */
  private applyFailStrategy(): FilterStatus {
    if (this.slot.config.failStrategy === 'open') {
      this.bypass = true;
      return FilterStatus.Continue;
    }
    if (!this.ended) {
      this.ended = true;
      failStream(this.control, this.slot.name);
    }
    return FilterStatus.Stop;
  }

  private toFilterStatus(a: StreamAction): FilterStatus {
    switch (a) {
      case StreamAction.Continue:
        return FilterStatus.Continue;
      case StreamAction.Buffer:
        this.watchWhilePaused();
        return FilterStatus.StopAndBuffer;
      case StreamAction.Stop:
        this.watchWhilePaused();
        return FilterStatus.Stop;
      default:
        return this.applyFailStrategy();
    }
  }

  /**
   * A paused stream waits for the plugin (a callout answer, a tick): if the VM dies meanwhile
   * (another stream trapped), apply the fail strategy now instead of hanging until a timeout.
   */
  private watchWhilePaused(): void {
    if (this.unwatch || this.ended) return;
    this.unwatch = this.slot.plugin.onFailure(() => {
      setImmediate(() => {
        if (this.released || this.ended || this.bypass) return;
        if (this.applyFailStrategy() === FilterStatus.Continue) {
          this.control.resumeRequest();
          this.control.resumeResponse();
        }
      });
    });
  }

  onRequestHeaders(headers: HeaderMap, endOfStream: boolean): FilterStatus {
    if (this.bypass) return FilterStatus.Continue;
    if (this.ended) return FilterStatus.Stop;
    return this.toFilterStatus(this.stream.onRequestHeaders(headers, endOfStream));
  }

  onRequestBody(body: BodyBuffer, endOfStream: boolean): FilterStatus {
    if (this.bypass) return FilterStatus.Continue;
    if (this.ended) return FilterStatus.Stop;
    if (body.bytes.length > BODY_BUFFER_LIMIT) {
      this.ended = true;
      this.control.sendLocalReply(413, [['remora-proxy-error', 'request body too large']], 'request body too large\n', 'request_payload_too_large');
      return FilterStatus.Stop;
    }
    this.requestBody = body;
    const a = this.stream.onRequestBody(body.bytes, endOfStream);
    takePluginEdit(body, this.stream.requestBody);
    if (this.stream.addedTrailers !== undefined) this.control.addRequestTrailers(this.stream.addedTrailers);
    return this.toFilterStatus(a);
  }

  onRequestTrailers(trailers: HeaderMap): FilterStatus {
    if (this.bypass) return FilterStatus.Continue;
    if (this.ended) return FilterStatus.Stop;
    return this.toFilterStatus(this.stream.onRequestTrailers(trailers));
  }

  onResponseHeaders(headers: HeaderMap, endOfStream: boolean): FilterStatus {
    if (this.bypass) return FilterStatus.Continue;
    if (this.ended) return FilterStatus.Continue; // let our own 503 / 413 through
    return this.toFilterStatus(this.stream.onResponseHeaders(headers, endOfStream));
  }

  onResponseBody(body: BodyBuffer, endOfStream: boolean): FilterStatus {
    if (this.bypass || this.ended) return FilterStatus.Continue;
    if (body.bytes.length > BODY_BUFFER_LIMIT) {
      this.ended = true;
      this.control.sendLocalReply(500, [['remora-proxy-error', 'response body too large']], 'response body too large\n', 'response_payload_too_large');
      return FilterStatus.Stop;
    }
    this.responseBody = body;
    const a = this.stream.onResponseBody(body.bytes, endOfStream);
    takePluginEdit(body, this.stream.responseBody);
    if (this.stream.addedTrailers !== undefined) this.control.addResponseTrailers(this.stream.addedTrailers);
    return this.toFilterStatus(a);
  }

  onResponseTrailers(trailers: HeaderMap): FilterStatus {
    if (this.bypass || this.ended) return FilterStatus.Continue;
    return this.toFilterStatus(this.stream.onResponseTrailers(trailers));
  }

  private finish(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.stream.finish();
    if (!this.released) {
      this.released = true;
      this.slot.release();
    }
  }

  onLog(): void {
    const ctx = this.stream.ctx;
    const info = this.control.info;
    // on_log reads the maps as the data plane ended with them (a local reply's headers included).
    ctx.maps[MapType.HttpRequestHeaders] = info.requestHeaders ?? ctx.maps[MapType.HttpRequestHeaders];
    ctx.maps[MapType.HttpResponseHeaders] = info.responseHeaders ?? ctx.maps[MapType.HttpResponseHeaders];
    ctx.maps[MapType.HttpResponseTrailers] = info.responseTrailers ?? ctx.maps[MapType.HttpResponseTrailers];
    this.finish();
  }

  onDone(): void {
    this.finish();
  }
}

/** Stands in for a plugin that failed before the stream started (close / reload): 503 at once. */
export class FailedPluginFilter implements HttpFilter {
  private readonly control: HttpStreamControl;
  private readonly name: string;
  private sent = false;

  constructor(name: string, control: HttpStreamControl) {
    this.name = name;
    this.control = control;
  }

  onRequestHeaders(): FilterStatus {
    if (!this.sent) {
      this.sent = true;
      failStream(this.control, this.name);
    }
    return FilterStatus.Stop;
  }
}
