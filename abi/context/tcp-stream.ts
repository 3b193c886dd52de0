// One TCP connection of one network plugin (reference §1.3 TCP sequence, §7.16).

import { BufferType, PeerType, StreamAction } from '../types.ts';
import type { Export } from '../vm/vm.ts';
import { stopAction } from './actions.ts';
import { PluginStream } from './plugin-stream.ts';

/** Envoy's TCP order at the end of a connection: on_done before the access log. */
const TCP_END = ['proxy_on_done', 'proxy_on_log', 'proxy_on_delete'] as const;

export class TcpStream extends PluginStream {
  private call(name: string, a: number, b: number, c: number): StreamAction {
    const vm = this.vm;
    if (vm.failed) return StreamAction.Failed;
    const fn: Export | undefined = vm.exports[name];
    if (!fn) return StreamAction.Continue;
    const r = vm.invoke(this.ctx, name, fn, a, b, c);
    if (vm.failed) return StreamAction.Failed;
    return stopAction(r ?? 0);
  }

  onNewConnection(): StreamAction {
    return this.call('proxy_on_new_connection', this.ctx.id, 0, 0);
  }

  /** `data` = bytes held so far in that direction; read `downstreamData` back after the call. */
  onDownstreamData(data: Uint8Array, endOfStream: boolean): StreamAction {
    this.ctx.buffers[BufferType.DownstreamData] = data;
    return this.call('proxy_on_downstream_data', this.ctx.id, data.length, endOfStream ? 1 : 0);
  }

  onUpstreamData(data: Uint8Array, endOfStream: boolean): StreamAction {
    this.ctx.buffers[BufferType.UpstreamData] = data;
    return this.call('proxy_on_upstream_data', this.ctx.id, data.length, endOfStream ? 1 : 0);
  }

  get downstreamData(): Uint8Array | undefined {
    return this.ctx.buffers[BufferType.DownstreamData];
  }

  get upstreamData(): Uint8Array | undefined {
    return this.ctx.buffers[BufferType.UpstreamData];
  }

  /** peer: LOCAL if the proxy closed, REMOTE if the client did. */
  onDownstreamClose(peer: number = PeerType.Remote): void {
    this.call('proxy_on_downstream_connection_close', this.ctx.id, peer, 0);
  }

  onUpstreamClose(peer: number = PeerType.Unknown): void {
    this.call('proxy_on_upstream_connection_close', this.ctx.id, peer, 0);
  }

  /** on_done, on_log, on_delete: Envoy's TCP order. */
  finish(): void {
    this.end(TCP_END);
  }
}
