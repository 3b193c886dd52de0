// A TcpFilter backed by one proxy-wasm stream context (network filter, reference §1.3 TCP).

import { PeerType, StreamAction, StreamType, type LocalReply, type PropertyValue, type StreamHost, type TcpStream } from '../../abi/index.ts';
import { FilterStatus, type BodyBuffer, type TcpConnectionControl, type TcpFilter } from '../filter/types.ts';
import type { PluginSlot } from './plugin-slot.ts';
import { tcpProperty } from './properties.ts';
import { takePluginEdit } from './plugin-bytes.ts';


export class WasmTcpFilter implements TcpFilter, StreamHost {
  private readonly slot: PluginSlot;
  private readonly control: TcpConnectionControl;
  private readonly stream: TcpStream;
  /** failStrategy open after a failure: the rest of this connection skips the plugin. */
  private bypass = false;
  /** The proxy closed the connection (plugin request or fail strategy): the close peer is LOCAL. */
  private closedByUs = false;
  /** The slot's stream count was given back. */
  private released = false;

  constructor(slot: PluginSlot, control: TcpConnectionControl) {
    this.slot = slot;
    this.control = control;
    this.stream = slot.plugin.tcpStream(this);
    slot.retain();
  }

  continueStream(type: number): void {
    if (type === StreamType.Downstream) this.control.resumeDownstream();
  }

  closeStream(_type: number): void {
    this.closedByUs = true;
    this.control.close();
  }

  sendLocalResponse(_reply: LocalReply): void {
    // Not an HTTP stream: nothing to answer (Envoy returns OK and does nothing).
  }

  property(path: string[]): PropertyValue | undefined {
    return tcpProperty(path, this.control.info);
  }

  private toFilterStatus(a: StreamAction): FilterStatus {
    if (a === StreamAction.Continue) return FilterStatus.Continue;
    if (a !== StreamAction.Failed) return FilterStatus.Stop;
    if (this.slot.config.failStrategy === 'open') {
      this.bypass = true;
      return FilterStatus.Continue;
    }
    this.closedByUs = true;
    this.control.close();
    return FilterStatus.Stop;
  }

  onNewConnection(): FilterStatus {
    if (this.stream.failed) return this.toFilterStatus(StreamAction.Failed);
    return this.toFilterStatus(this.stream.onNewConnection());
  }

  onDownstreamData(data: BodyBuffer, endOfStream: boolean): FilterStatus {
    if (this.bypass) return FilterStatus.Continue;
    const a = this.stream.onDownstreamData(data.bytes, endOfStream);
    takePluginEdit(data, this.stream.downstreamData);
    return this.toFilterStatus(a);
  }

  onUpstreamData(data: BodyBuffer, endOfStream: boolean): FilterStatus {
    if (this.bypass) return FilterStatus.Continue;
    const a = this.stream.onUpstreamData(data.bytes, endOfStream);
    takePluginEdit(data, this.stream.upstreamData);
    return this.toFilterStatus(a);
  }

  onDownstreamClose(): void {
    if (!this.bypass) this.stream.onDownstreamClose(this.closedByUs ? PeerType.Local : PeerType.Remote);
  }

  onUpstreamClose(): void {
    if (!this.bypass) this.stream.onUpstreamClose(PeerType.Unknown);
  }

  onDone(): void {
    this.stream.finish();
    if (!this.released) {
      this.released = true;
      this.slot.release();
    }
  }
}
