// Test harness: a recording PluginHost / StreamHost and a loader for WAT plugins, each test with
// its own VmRegistry so VMs are never shared across tests by accident.

import type { LocalReply, PluginHost, StreamHost } from '../host.ts';
import type { PropertyValue } from '../hostcalls/property-encoding.ts';
import { loadPlugin, VmRegistry, type Plugin, type PluginSpec } from '../plugin.ts';
import { compileWat, pluginWat, type WatOptions } from './wat.ts';

export interface TestHost extends PluginHost {
  logs: Array<[level: number, message: string]>;
}

export function testHost(extra: Partial<PluginHost> = {}): TestHost {
  const logs: Array<[number, string]> = [];
  return { logs, log: (level, message) => logs.push([level, message]), ...extra };
}

export class RecordingStream implements StreamHost {
  continued: number[] = [];
  closed: number[] = [];
  replies: LocalReply[] = [];
  props = new Map<string, PropertyValue>();
  continueStream(t: number): void {
    this.continued.push(t);
  }
  closeStream(t: number): void {
    this.closed.push(t);
  }
  sendLocalResponse(r: LocalReply): void {
    this.replies.push(r);
  }
  property(path: string[]): PropertyValue | undefined {
    return this.props.get(path.join('.'));
  }
}

let counter = 0;
/** A unique vmId so process-wide shared data/queues never leak between tests. */
export const uniqueVmId = (p = 'vm') => `${p}-${process.pid}-${++counter}`;

export async function loadWat(
  body: string,
  opts: WatOptions = {},
  spec: Partial<PluginSpec> = {},
  host: TestHost = testHost(),
  registry = new VmRegistry(),
): Promise<{ plugin: Plugin; host: TestHost; registry: VmRegistry }> {
  const code = await compileWat(pluginWat(body, opts));
  const plugin = await loadPlugin({ name: 'test-plugin', code, vmId: uniqueVmId(), ...spec }, host, registry);
  return { plugin, host, registry };
}

/** Reads a u32 the plugin stored at `addr`. */
export function u32(plugin: Plugin, addr: number): number {
  return plugin.vm.mem.u32(addr)!;
}

/** Reads `len` bytes at the pointer stored at `ptrAddr` (an out-param pair ptr, size). */
export function outBytes(plugin: Plugin, ptrAddr: number, sizeAddr: number): Buffer {
  const p = u32(plugin, ptrAddr);
  const n = u32(plugin, sizeAddr);
  return Buffer.from(plugin.vm.mem.copy(p, n)!);
}

/** Writes bytes into plugin memory (tests preparing inputs a callback will use). */
export function poke(plugin: Plugin, addr: number, data: Uint8Array | string): void {
  const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  plugin.vm.mem.bytes().set(b, addr);
}

export const tick = () => new Promise<void>((r) => setImmediate(r));

import type { HttpStream } from '../context/http-stream.ts';
import type { TcpStream } from '../context/tcp-stream.ts';

/** Calls export `name` as a callback of `stream`'s context (effective context = the stream). */
export function runOn(stream: HttpStream | TcpStream, name: string, ...args: number[]): number | undefined {
  const fn = stream.vm.exports[name];
  if (!fn) throw new Error(`no export ${name}`);
  return stream.vm.invoke(stream.ctx, name, fn, ...args);
}
