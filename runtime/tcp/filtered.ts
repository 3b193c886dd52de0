// Opaque TCP through TcpFilters: downstream bytes pass the filters in order, upstream bytes in reverse order.
// A filter returning Stop keeps the bytes at its position; new data calls it again with everything held so
// far (proxy-wasm: "the next on_*_data call shows the accumulated size"); resume() passes the held bytes on.
import type * as net from 'node:net';
import type { ConnectionInfo, TcpConnectionControl, TcpFilter } from '../filter/types.ts';
import { FilterStatus } from '../filter/types.ts';
import type { ListenerRuntime } from '../listener/context.ts';
import type { Cluster } from '../upstream/cluster.ts';
import { dialUpstream } from './forward.ts';

const EMPTY = Buffer.alloc(0);

class Flow {
  /** Bytes held at each position (a filter said Stop). */
  readonly held: Array<Buffer | undefined>;
  readonly stopped: boolean[];
  eos = false;
  /** End of stream reached the sink. */
  ended = false;

  constructor(n: number) {
    this.held = new Array(n).fill(undefined);
    this.stopped = new Array(n).fill(false);
  }
}

export class FilteredTcp implements TcpConnectionControl {
  private readonly rt: ListenerRuntime;
  private readonly socket: net.Socket;
  private readonly cluster: Cluster;
  private readonly filters: TcpFilter[] = [];
  private upstream: net.Socket | undefined;
  private readonly down: Flow;
  private readonly up: Flow;
  /** Bytes that passed all downstream filters before the upstream connected. */
  private pending: Buffer[] = [];
  private connected = false;
  private waitingNewConnection = false;
  private closed = false;
  private readonly startTime = Date.now();
  private bytesIn = 0;
  private bytesOut = 0;
  readonly info: ConnectionInfo;

  constructor(rt: ListenerRuntime, socket: net.Socket, cluster: Cluster, plugins: string[]) {
    this.rt = rt;
    this.socket = socket;
    this.cluster = cluster;
    this.down = new Flow(plugins.length);
    this.up = new Flow(plugins.length);
    const self = this;
    this.info = {
      listener: rt.name,
      connectionId: 0,
      sourceAddress: socket.remoteAddress ?? '',
      sourcePort: socket.remotePort ?? 0,
      destinationAddress: socket.localAddress ?? '',
      destinationPort: socket.localPort ?? 0,
      clusterName: cluster.name,
      get upstreamAddress() {
        const u = self.upstream;
        return u === undefined ? undefined : `${u.remoteAddress}:${u.remotePort}`;
      },
      startTime: this.startTime,
      get bytesIn() {
        return self.bytesIn;
      },
      get bytesOut() {
        return self.bytesOut;
      },
    };
    const create = rt.filters?.createTcp;
    for (const name of plugins) {
      try {
        this.filters.push(create === undefined ? {} : create.call(rt.filters, name, this));
      } catch (err) {
        rt.log.warn({ err, plugin: name }, 'tcp filter creation failed, closing connection');
        this.closed = true;
      }
    }
  }

  start(): void {
    if (this.closed) {
      this.socket.destroy();
      this.finish();
      return;
    }
    let stop = false;
    for (const f of this.filters) {
      if (this.safe(() => f.onNewConnection?.()) === FilterStatus.Stop) stop = true;
    }
    this.socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.run(this.down, chunk, false, 0);
    });
    this.socket.on('end', () => this.run(this.down, EMPTY, true, 0));
    this.socket.on('error', () => this.close());
    this.socket.on('close', () => {
      for (const f of this.filters) this.safe(() => f.onDownstreamClose?.());
      this.close();
    });
    if (stop) this.waitingNewConnection = true;
    else this.connect();
    this.socket.resume();
  }

  private connect(): void {
    const upstream = dialUpstream(this.cluster);
    this.upstream = upstream;
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      this.connected = true;
      for (const b of this.pending) upstream.write(b);
      this.pending = [];
      if (this.down.ended) upstream.end();
    });
    upstream.on('data', (chunk: Buffer) => this.run(this.up, chunk, false, 0));
    upstream.on('end', () => this.run(this.up, EMPTY, true, 0));
    upstream.on('error', () => this.close());
    upstream.on('close', () => {
      for (const f of this.filters) this.safe(() => f.onUpstreamClose?.());
      this.close();
    });
  }

  private safe<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.rt.log.warn({ err }, 'tcp filter threw, closing connection');
      this.close();
      return undefined;
    }
  }

  private filterAt(flow: Flow, pos: number): TcpFilter {
    return this.filters[flow === this.down ? pos : this.filters.length - 1 - pos];
  }

  private run(flow: Flow, chunk: Buffer, eos: boolean, from: number): void {
    if (this.closed) return;
    if (eos) flow.eos = true;
    let data = chunk;
    for (let pos = from; pos < this.filters.length; pos++) {
      const held = flow.held[pos];
      if (held !== undefined) {
        data = data.length === 0 ? held : Buffer.concat([held, data]);
        flow.held[pos] = undefined;
      }
      const f = this.filterAt(flow, pos);
      const buf = { bytes: data };
      const status = this.safe(() =>
        flow === this.down ? f.onDownstreamData?.(buf, flow.eos) : f.onUpstreamData?.(buf, flow.eos),
      );
      if (this.closed) return;
      data = buf.bytes;
      if (status !== undefined && status !== FilterStatus.Continue) {
        flow.held[pos] = data;
        flow.stopped[pos] = true;
        return;
      }
      flow.stopped[pos] = false;
    }
    this.sink(flow, data);
  }

  private sink(flow: Flow, data: Buffer): void {
    if (flow === this.down) {
      if (data.length > 0) {
        if (this.connected && this.upstream !== undefined) {
          if (!this.upstream.write(data)) {
            this.socket.pause();
            this.upstream.once('drain', () => this.socket.resume());
          }
        } else this.pending.push(data);
      }
      if (flow.eos && !flow.ended) {
        flow.ended = true;
        if (this.connected) this.upstream?.end();
      }
      return;
    }
    if (data.length > 0) {
      this.bytesOut += data.length;
      if (!this.socket.write(data)) {
        this.upstream?.pause();
        this.socket.once('drain', () => this.upstream?.resume());
      }
    }
    if (flow.eos && !flow.ended) {
      flow.ended = true;
      this.socket.end();
    }
  }

  private resumeFlow(flow: Flow): void {
    for (let pos = 0; pos < this.filters.length; pos++) {
      if (!flow.stopped[pos]) continue;
      flow.stopped[pos] = false;
      const held = flow.held[pos] ?? EMPTY;
      flow.held[pos] = undefined;
      // The filter already saw these bytes: they move on to the next position.
      queueMicrotask(() => this.run(flow, held, flow.eos, pos + 1));
      return;
    }
  }

  resumeDownstream(): void {
    if (this.waitingNewConnection) {
      this.waitingNewConnection = false;
      this.connect();
      return;
    }
    this.resumeFlow(this.down);
  }

  resumeUpstream(): void {
    this.resumeFlow(this.up);
  }

  close(): void {
    if (this.closed && this.socket.destroyed && (this.upstream === undefined || this.upstream.destroyed)) {
      this.finish();
      return;
    }
    this.closed = true;
    this.socket.destroy();
    this.upstream?.destroy();
    this.finish();
  }

  private done = false;

  private finish(): void {
    if (this.done) return;
    this.done = true;
    for (const f of this.filters) {
      try {
        f.onDone?.();
      } catch (err) {
        this.rt.log.warn({ err }, 'tcp filter onDone threw');
      }
    }
  }
}
