// Runs a route's HttpFilters over one request/response (semantics in ./types.ts). Each direction is a
// pipeline of positions (request: filter order; response: reverse). An event stopped at a position is
// "parked" there (the filter saw it); events arriving behind it are "held" and delivered to that filter after
// resume. Control calls made from inside a callback (resume, local reply, reset) run right after the callback
// returns, as proxy-wasm hosts do, so a filter may resume or reply from within its own callback.
import type { HttpExchange } from '../http/exchange.ts';
import type { BodyBuffer, HeaderMap, HttpFilter, HttpStreamControl, StreamInfo } from './types.ts';
import { FilterStatus } from './types.ts';

const Kind = { headers: 0, body: 1, trailers: 2 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface ChainEvent {
  kind: Kind;
  map: HeaderMap | undefined;
  body: BodyBuffer | undefined;
  eos: boolean;
}

/** What a direction keeps at one position once something stopped or buffered there. */
interface Position {
  stopped: boolean;
  /** The event the filter stopped on, delivered onward on resume. */
  parked: ChainEvent | undefined;
  /** Events that arrived behind the stop, delivered to this filter on resume. */
  held: ChainEvent[];
  /** Body chunks kept by StopAndBuffer. */
  buffer: Buffer[] | undefined;
  /** Trailers this filter added to the parked end-of-stream body: they go on, from the next filter, after it. */
  followUp: ChainEvent | undefined;
}

class Direction {
  readonly request: boolean;
  private readonly size: number;
  /** Allocated on the first stop or buffer: a chain whose filters all Continue allocates none of it. */
  private positions: Array<Position | undefined> | undefined = undefined;
  /** Bumped when a local reply restarts/ends this direction: running loops notice and stop. */
  generation = 0;
  closed = false;

  constructor(n: number, request: boolean) {
    this.request = request;
    this.size = n;
  }

  /** The state at `pos`, or undefined when nothing ever stopped or buffered there. */
  at(pos: number): Position | undefined {
    return this.positions?.[pos];
  }

  /** The state at `pos`, created on first use. */
  state(pos: number): Position {
    const positions = (this.positions ??= new Array<Position | undefined>(this.size).fill(undefined));
    return (positions[pos] ??= { stopped: false, parked: undefined, held: [], buffer: undefined, followUp: undefined });
  }

  clear(): void {
    this.generation++;
    // Fresh state: loops still holding the old positions see the generation change and stop.
    this.positions = undefined;
  }
}

export class FilterChain {
  readonly exchange: HttpExchange;
  readonly filters: HttpFilter[] = [];
  readonly info: StreamInfo;
  private readonly req: Direction;
  private readonly res: Direction;
  /** Control calls made during a callback, run after it returns. */
  private deferred: Array<() => void> | undefined = undefined;
  /** A filter callback is running: control calls wait in `deferred`. */
  private inCallback = false;
  /**
   * The filter whose end-of-stream body callback is running (it may add trailers): its index, -1 for none,
   * its direction, and what it added.
   */
  private bodyEndIndex = -1;
  private bodyEndRequest = false;
  private addedTrailers: HeaderMap | undefined = undefined;
  private localReplies = 0;
  /** The upstream response head entered the response filters (Envoy: encoding started). */
  private upstreamResponseStarted = false;
  private inLocalReply = false;
  finished = false;
  requestMap: HeaderMap | undefined = undefined;
  responseMap: HeaderMap | undefined = undefined;
  responseTrailerMap: HeaderMap | undefined = undefined;

  constructor(exchange: HttpExchange, plugins: string[]) {
    this.exchange = exchange;
    this.info = new ExchangeStreamInfo(this);
    const factory = exchange.runtime.filters;
    const n = plugins.length;
    this.req = new Direction(n, true);
    this.res = new Direction(n, false);
    let failed: unknown;
    for (let i = 0; i < n; i++) {
      try {
        this.filters.push(factory === undefined ? {} : factory.create(plugins[i], new FilterControl(this, i)));
      } catch (err) {
        failed ??= err;
        this.filters.push({});
      }
    }
    if (failed !== undefined) {
      exchange.runtime.log.warn({ err: failed, route: exchange.route?.name }, 'filter creation failed');
      this.createFailed = true;
    }
  }

  /** A plugin could not be instantiated: the request gets a 503 without running any filter. */
  private createFailed = false;

  get requestClosed(): boolean {
    return this.req.closed || this.finished;
  }

  // ---- events from the exchange ----

  requestHeaders(map: HeaderMap, eos: boolean): void {
    if (this.createFailed) {
      this.localReply(503, [['remora-proxy-error', 'filter failed']], 'filter failed\n', 'filter failed');
      return;
    }
    this.requestMap = map;
    this.process(this.req, { kind: Kind.headers, map, body: undefined, eos }, 0);
  }

  requestBody(body: BodyBuffer, eos: boolean): void {
    this.process(this.req, { kind: Kind.body, map: undefined, body, eos }, 0);
  }

  requestTrailers(map: HeaderMap): void {
    this.process(this.req, { kind: Kind.trailers, map, body: undefined, eos: true }, 0);
  }

  responseHeaders(map: HeaderMap, eos: boolean): void {
    this.upstreamResponseStarted = true;
    this.responseMap = map;
    this.process(this.res, { kind: Kind.headers, map, body: undefined, eos }, 0);
  }

  responseBody(body: BodyBuffer, eos: boolean): void {
    this.process(this.res, { kind: Kind.body, map: undefined, body, eos }, 0);
  }

  responseTrailers(map: HeaderMap): void {
    this.responseTrailerMap = map;
    this.process(this.res, { kind: Kind.trailers, map, body: undefined, eos: true }, 0);
  }

  // ---- the pipeline ----

  private filterAt(dir: Direction, pos: number): HttpFilter {
    return this.filters[dir.request ? pos : this.filters.length - 1 - pos];
  }

  private process(dir: Direction, event: ChainEvent, from: number): void {
    if (dir.closed || this.finished) return;
    const gen = dir.generation;
    const n = this.filters.length;
    let ev = event;
    for (let pos = from; pos < n; pos++) {
      const at = dir.at(pos);
      let buffered: Buffer[] | undefined;
      if (at !== undefined) {
        if (at.stopped || at.parked !== undefined || at.held.length > 0) {
          at.held.push(ev);
          return;
        }
        buffered = at.buffer;
        if (buffered !== undefined && ev.kind === Kind.body) {
          buffered.push((ev.body as BodyBuffer).bytes);
          at.buffer = undefined;
          ev = { kind: Kind.body, map: undefined, body: { bytes: Buffer.concat(buffered) }, eos: ev.eos };
        }
      }
      const filter = this.filterAt(dir, pos);
      // Control calls made by this callback collect in `this.deferred` (allocated only if there are any).
      const savedDeferred = this.deferred;
      const savedInCallback = this.inCallback;
      const savedBodyEndIndex = this.bodyEndIndex;
      const savedBodyEndRequest = this.bodyEndRequest;
      this.deferred = undefined;
      this.inCallback = true;
      this.bodyEndIndex = ev.kind === Kind.body && ev.eos ? (dir.request ? pos : n - 1 - pos) : -1;
      this.bodyEndRequest = dir.request;
      this.addedTrailers = undefined;
      let status: FilterStatus;
      try {
        status = this.call(filter, dir, ev);
      } catch (err) {
        this.exchange.runtime.log.warn({ err, route: this.exchange.route?.name }, 'filter callback threw');
        status = FilterStatus.Stop;
        (this.deferred ??= []).push(() =>
          this.localReply(500, [['remora-proxy-error', 'filter failed']], 'filter failed\n', 'filter failed'),
        );
      }
      const mine: Array<() => void> | undefined = this.deferred;
      this.deferred = savedDeferred;
      this.inCallback = savedInCallback;
      this.bodyEndIndex = savedBodyEndIndex;
      this.bodyEndRequest = savedBodyEndRequest;
      const added = this.addedTrailers;
      this.addedTrailers = undefined;
      if (added !== undefined) {
        if (status === FilterStatus.StopAndBuffer) status = FilterStatus.Stop; // nothing to buffer: the body ended
        // The body now ends with trailers: it goes on without end of stream, and the trailers follow it from
        // the next filter on (after this filter resumes, if it stopped).
        const body: ChainEvent = { kind: Kind.body, map: undefined, body: ev.body, eos: false };
        const trailers: ChainEvent = { kind: Kind.trailers, map: added, body: undefined, eos: true };
        if (status === FilterStatus.Continue) {
          if (mine !== undefined) for (const action of mine) action();
          if (dir.generation !== gen || dir.closed || this.finished) return;
          this.process(dir, body, pos + 1);
          if (dir.generation !== gen || dir.closed || this.finished) return;
          this.process(dir, trailers, pos + 1);
          return;
        }
        ev = body;
        dir.state(pos).followUp = trailers;
      }
      let stop = false;
      if (status === FilterStatus.StopAndBuffer && ev.kind === Kind.body && !ev.eos) {
        dir.state(pos).buffer = [(ev.body as BodyBuffer).bytes];
        stop = true;
      } else if (status !== FilterStatus.Continue) {
        const st = dir.state(pos);
        if (ev.kind === Kind.trailers && buffered !== undefined) {
          // Trailers stopped while a body was buffering: keep the body ahead of them.
          st.buffer = buffered;
        }
        st.stopped = true;
        st.parked = ev;
        stop = true;
      } else if (ev.kind === Kind.trailers && buffered !== undefined && dir.at(pos)?.buffer === undefined) {
        // Trailers passed a buffering filter: the buffered body goes first.
        this.process(dir, { kind: Kind.body, map: undefined, body: { bytes: Buffer.concat(buffered) }, eos: false }, pos + 1);
      }
      if (mine !== undefined) for (const action of mine) action();
      if (dir.generation !== gen || dir.closed || this.finished) return;
      if (stop) return;
    }
    this.sink(dir, ev);
  }

  private call(filter: HttpFilter, dir: Direction, ev: ChainEvent): FilterStatus {
    if (dir.request) {
      switch (ev.kind) {
        case Kind.headers:
          return filter.onRequestHeaders?.(ev.map as HeaderMap, ev.eos) ?? FilterStatus.Continue;
        case Kind.body:
          return filter.onRequestBody?.(ev.body as BodyBuffer, ev.eos) ?? FilterStatus.Continue;
        default:
          return filter.onRequestTrailers?.(ev.map as HeaderMap) ?? FilterStatus.Continue;
      }
    }
    switch (ev.kind) {
      case Kind.headers:
        return filter.onResponseHeaders?.(ev.map as HeaderMap, ev.eos) ?? FilterStatus.Continue;
      case Kind.body:
        return filter.onResponseBody?.(ev.body as BodyBuffer, ev.eos) ?? FilterStatus.Continue;
      default:
        return filter.onResponseTrailers?.(ev.map as HeaderMap) ?? FilterStatus.Continue;
    }
  }

  private sink(dir: Direction, ev: ChainEvent): void {
    const ex = this.exchange;
    if (dir.request) {
      if (ev.kind === Kind.headers) ex.sinkRequestHeaders(ev.map as HeaderMap, ev.eos);
      else if (ev.kind === Kind.body) ex.sinkRequestBody((ev.body as BodyBuffer).bytes, ev.eos);
      else ex.sinkRequestTrailers(ev.map as HeaderMap);
      if (ev.eos) dir.closed = true;
      return;
    }
    if (ev.kind === Kind.headers) ex.sinkResponseHeaders(ev.map as HeaderMap, ev.eos);
    else if (ev.kind === Kind.body) ex.sinkResponseBody((ev.body as BodyBuffer).bytes, ev.eos);
    else ex.sinkResponseTrailers(ev.map as HeaderMap);
  }

  /** Continue a direction stopped (or buffering) at `pos`. */
  resume(dir: Direction, pos: number): void {
    if (dir.closed || this.finished) return;
    const at = dir.at(pos);
    if (at === undefined) return;
    const buffered = at.buffer;
    if (!at.stopped && buffered === undefined) return;
    const gen = dir.generation;
    at.stopped = false;
    const parked = at.parked;
    at.parked = undefined;
    at.buffer = undefined;
    if (buffered !== undefined) {
      const whole = Buffer.concat(buffered);
      if (parked === undefined || parked.kind === Kind.trailers) {
        this.process(dir, { kind: Kind.body, map: undefined, body: { bytes: whole }, eos: false }, pos + 1);
      }
    }
    if (dir.generation !== gen) return;
    if (parked !== undefined) this.process(dir, parked, pos + 1);
    if (dir.generation !== gen) return;
    const followUp = at.followUp;
    at.followUp = undefined;
    if (followUp !== undefined && !dir.closed && !this.finished) this.process(dir, followUp, pos + 1);
    if (dir.generation !== gen) return;
    // Deliver what waited behind the parked event to this filter, in order. (`at` stays this position's
    // state while the generation is unchanged.)
    while (at.held.length > 0 && !at.stopped && dir.generation === gen) {
      const held = at.held;
      at.held = [];
      for (let i = 0; i < held.length; i++) {
        if (at.stopped || dir.generation !== gen) {
          if (dir.generation === gen) at.held = held.slice(i).concat(at.held);
          return;
        }
        this.process(dir, held[i], pos);
      }
    }
  }

  /** A filter's trailers for the end-of-stream body it is handling now (see HttpStreamControl); else ignored. */
  addTrailers(index: number, request: boolean, trailers: HeaderMap): void {
    if (this.bodyEndIndex !== index || this.bodyEndRequest !== request) return;
    this.addedTrailers = trailers;
    if (!request) this.responseTrailerMap = trailers;
  }

  /** Runs `action` now, or after the current callback returns when called from inside one. */
  control(action: () => void): void {
    if (this.inCallback) (this.deferred ??= []).push(action);
    else action();
  }

  resumeFilter(index: number, request: boolean): void {
    const dir = request ? this.req : this.res;
    this.resume(dir, request ? index : this.filters.length - 1 - index);
  }

  /**
   * Answer locally. Request processing ends and the upstream is cancelled. Like Envoy, the response filters
   * run on the reply when no response was being filtered yet; a reply that replaces an upstream response
   * already in the response filters (or another local reply) is sent directly, so filters cannot loop.
   */
  localReply(status: number, headers: HeaderMap, body: Buffer | string, details: string): void {
    if (this.finished) return;
    const ex = this.exchange;
    if (ex.headersSentDownstream) {
      ex.resetFromFilter(details);
      return;
    }
    this.req.closed = true;
    this.req.clear();
    this.res.clear();
    ex.cancelUpstream();
    ex.beginLocalResponse(status, details);
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const map: HeaderMap = [[':status', String(status)]];
    for (const h of headers) map.push([h[0].toLowerCase(), h[1]]);
    if (!map.some((h) => h[0] === 'content-type') && bytes.length > 0) map.push(['content-type', 'text/plain']);
    map.push(['content-length', String(bytes.length)]);
    this.localReplies++;
    if (this.inLocalReply || this.upstreamResponseStarted || this.localReplies > 4) {
      // A reply replacing a reply that filters are still handling: send it as is.
      ex.sinkResponseHeaders(map, bytes.length === 0);
      if (bytes.length > 0) ex.sinkResponseBody(bytes, true);
      return;
    }
    this.responseMap = map;
    this.inLocalReply = true;
    const gen = this.res.generation;
    this.process(this.res, { kind: Kind.headers, map, body: undefined, eos: bytes.length === 0 }, 0);
    if (bytes.length > 0 && this.res.generation === gen) {
      this.process(this.res, { kind: Kind.body, map: undefined, body: { bytes }, eos: true }, 0);
    }
    if (this.res.generation === gen) this.inLocalReply = false;
  }

  /** Proxy-generated errors (no route, upstream failure) while a chain exists go through the response filters. */
  localReplyFromProxy(status: number, headers: HeaderMap, body: string, details: string): void {
    this.localReply(status, headers, body, details);
  }

  reset(reason: string): void {
    if (this.finished) return;
    this.req.closed = true;
    this.res.closed = true;
    this.exchange.resetFromFilter(reason);
  }

  /** Stream over: onLog then onDone on every filter, once. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.req.closed = true;
    this.res.closed = true;
    for (const f of this.filters) {
      try {
        f.onLog?.();
      } catch (err) {
        this.exchange.runtime.log.warn({ err }, 'filter onLog threw');
      }
    }
    for (const f of this.filters) {
      try {
        f.onDone?.();
      } catch (err) {
        this.exchange.runtime.log.warn({ err }, 'filter onDone threw');
      }
    }
  }
}

/** The per-filter handle given to FilterFactory.create. */
class FilterControl implements HttpStreamControl {
  private readonly chain: FilterChain;
  private readonly index: number;

  constructor(chain: FilterChain, index: number) {
    this.chain = chain;
    this.index = index;
  }

  get info(): StreamInfo {
    return this.chain.info;
  }

  resumeRequest(): void {
    this.chain.control(() => this.chain.resumeFilter(this.index, true));
  }

  resumeResponse(): void {
    this.chain.control(() => this.chain.resumeFilter(this.index, false));
  }

  sendLocalReply(status: number, headers: HeaderMap, body: Buffer | string, details?: string): void {
    this.chain.control(() => this.chain.localReply(status, headers, body, details ?? 'local_reply'));
  }

  resetStream(reason?: string): void {
    this.chain.control(() => this.chain.reset(reason ?? 'filter reset'));
  }

  addRequestTrailers(trailers: HeaderMap): void {
    this.chain.addTrailers(this.index, true, trailers);
  }

  addResponseTrailers(trailers: HeaderMap): void {
    this.chain.addTrailers(this.index, false, trailers);
  }
}

/** StreamInfo read live from the exchange. */
class ExchangeStreamInfo implements StreamInfo {
  private readonly chain: FilterChain;

  constructor(chain: FilterChain) {
    this.chain = chain;
  }

  private get ex(): HttpExchange {
    return this.chain.exchange;
  }

  private get facts() {
    return this.ex.connection;
  }

  get requestId(): string {
    return this.ex.head.requestId;
  }
  get listener(): string {
    return this.ex.runtime.name;
  }
  get protocol(): string {
    return this.ex.h2 ? 'HTTP/2' : `HTTP/${this.ex.req.httpVersion}`;
  }
  get scheme(): string {
    return this.ex.scheme;
  }
  get sourceAddress(): string {
    return this.facts?.remoteAddress ?? '';
  }
  get sourcePort(): number {
    return this.facts?.remotePort ?? 0;
  }
  get destinationAddress(): string {
    return this.facts?.localAddress ?? '';
  }
  get destinationPort(): number {
    return this.facts?.localPort ?? 0;
  }
  get connectionId(): number {
    return this.facts?.id ?? 0;
  }
  get tls(): boolean {
    return this.facts?.tls ?? false;
  }
  get tlsVersion(): string | undefined {
    return this.facts?.tlsVersion;
  }
  get serverName(): string | undefined {
    return this.facts?.serverName;
  }
  get startTime(): number {
    return this.ex.startEpoch;
  }
  get routeName(): string | undefined {
    return this.ex.route?.name;
  }
  get clusterName(): string | undefined {
    return this.ex.cluster?.name;
  }
  get upstreamAddress(): string | undefined {
    return this.ex.endpoint?.address;
  }
  get responseCode(): number | undefined {
    return this.ex.status === 0 ? undefined : this.ex.status;
  }
  get responseCodeDetails(): string | undefined {
    return this.ex.details;
  }
  get requestBodyBytes(): number {
    return this.ex.bytesIn;
  }
  get responseBodyBytes(): number {
    return this.ex.bytesOut;
  }
  get upstreamResponseTime(): number | undefined {
    return this.ex.upstreamResponseEpoch;
  }
  get endTime(): number | undefined {
    return this.ex.endEpoch;
  }
  get requestHeaders(): HeaderMap | undefined {
    return this.chain.requestMap;
  }
  get responseHeaders(): HeaderMap | undefined {
    return this.chain.responseMap;
  }
  get responseTrailers(): HeaderMap | undefined {
    return this.chain.responseTrailerMap;
  }
}
