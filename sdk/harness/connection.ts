// One synthetic TCP connection through a network plugin: the test plays client and upstream, the
// harness holds paused bytes and forwards the rest, as Remora's opaque TCP path does.

import type { LocalReply, PropertyValue, StreamHost, TcpStream } from '../../abi/index.ts';
import { StreamAction, PeerType } from '../../abi/index.ts';
import { concat } from './headers.ts';
import { ACTION_NAMES, type ActionName } from './stream.ts';

export interface ConnectionOptions {
  /** Connection properties by dotted path (`'source.address'`...). */
  properties?: Record<string, PropertyValue>;
}

export class HarnessConnection implements StreamHost {
  /** Bytes the plugin let through to the upstream / to the client. */
  toUpstream: Buffer = Buffer.alloc(0);
  toClient: Buffer = Buffer.alloc(0);
  /** Callback results in order. */
  readonly actions: Array<{ callback: string; action: ActionName }> = [];
  /** StreamType numbers the plugin resumed (2 = downstream) or closed (2 downstream, 3 upstream). */
  readonly continued: number[] = [];
  readonly closed: number[] = [];
  failed = false;
  private readonly tcp: TcpStream;
  private readonly opts: ConnectionOptions;
  private readonly afterCallback: () => void;
  /** Bytes held while the plugin pauses a direction (the next callback sees them again). */
  private heldDown: Uint8Array = new Uint8Array(0);
  private heldUp: Uint8Array = new Uint8Array(0);

  constructor(create: (host: StreamHost) => TcpStream, opts: ConnectionOptions, afterCallback: () => void) {
    this.opts = opts;
    this.afterCallback = afterCallback;
    this.tcp = create(this);
  }

  continueStream(streamType: number): void {
    this.continued.push(streamType);
    if (streamType === 2 && this.heldDown.length > 0) {
      this.toUpstream = Buffer.concat([this.toUpstream, this.heldDown]);
      this.heldDown = new Uint8Array(0);
    }
  }

  closeStream(streamType: number): void {
    this.closed.push(streamType);
  }

  sendLocalResponse(_reply: LocalReply): void {}

  property(path: string[]): PropertyValue | undefined {
    return this.opts.properties?.[path.join('.')];
  }

  private record(callback: string, action: StreamAction): ActionName {
    this.afterCallback();
    if (action === StreamAction.Failed) this.failed = true;
    const name = ACTION_NAMES[action] ?? 'continue';
    this.actions.push({ callback, action: name });
    return name;
  }

  /** proxy_on_new_connection. */
  open(): ActionName {
    return this.record('newConnection', this.tcp.onNewConnection());
  }

  /** Client bytes: the plugin sees everything held so far plus `data`; on Continue it goes upstream. */
  fromClient(data: string | Uint8Array, endOfStream = false): ActionName {
    const held = concat(this.heldDown, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    const a = this.record('downstreamData', this.tcp.onDownstreamData(held, endOfStream));
    const after = this.tcp.downstreamData ?? held;
    if (a === 'continue') {
      this.toUpstream = Buffer.concat([this.toUpstream, after]);
      this.heldDown = new Uint8Array(0);
    } else this.heldDown = after;
    return a;
  }

  /** Upstream bytes: on Continue they go to the client. */
  fromUpstream(data: string | Uint8Array, endOfStream = false): ActionName {
    const held = concat(this.heldUp, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    const a = this.record('upstreamData', this.tcp.onUpstreamData(held, endOfStream));
    const after = this.tcp.upstreamData ?? held;
    if (a === 'continue') {
      this.toClient = Buffer.concat([this.toClient, after]);
      this.heldUp = new Uint8Array(0);
    } else this.heldUp = after;
    return a;
  }

  /** The client closed (peer REMOTE by default). */
  clientClosed(peer: number = PeerType.Remote): void {
    this.tcp.onDownstreamClose(peer);
    this.afterCallback();
  }

  /** The upstream side ended. */
  upstreamClosed(peer: number = PeerType.Unknown): void {
    this.tcp.onUpstreamClose(peer);
    this.afterCallback();
  }

  /** on_done, on_log, on_delete (Envoy's TCP order). */
  finish(): void {
    this.tcp.finish();
  }
}
