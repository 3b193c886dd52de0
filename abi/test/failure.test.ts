import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWat, RecordingStream, runOn, testHost, u32, uniqueVmId } from './harness.ts';
import { compileWat, pluginWat } from './wat.ts';
import { loadPlugin, VmRegistry } from '../plugin.ts';
import { PeerType, StreamAction } from '../types.ts';
import { serializePairs } from '../memory/pairs.ts';

// Every callback traps when the flag at 0x60 equals its code.
const TRAPS = `
  (func $maybe (param $code i32) (if (i32.eq (i32.load (i32.const 0x60)) (local.get $code)) (then unreachable)))
  (func (export "proxy_on_context_create") (param i32 i32) (call $maybe (i32.const 1)))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (call $maybe (i32.const 2)) (i32.const 0))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (call $maybe (i32.const 3)) (i32.const 0))
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) (call $maybe (i32.const 4)) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (call $maybe (i32.const 5)) (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (call $maybe (i32.const 6)) (i32.const 0))
  (func (export "proxy_on_response_trailers") (param i32 i32) (result i32) (call $maybe (i32.const 7)) (i32.const 0))
  (func (export "proxy_on_log") (param i32) (call $maybe (i32.const 8)))
  (func (export "proxy_on_done") (param i32) (result i32) (call $maybe (i32.const 9)) (i32.const 1))
  (func (export "proxy_on_delete") (param i32) (call $maybe (i32.const 10)))
  (func (export "proxy_on_new_connection") (param i32) (result i32) (call $maybe (i32.const 11)) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32) (call $maybe (i32.const 12)) (i32.const 0))
  (func (export "proxy_on_upstream_data") (param i32 i32 i32) (result i32) (call $maybe (i32.const 13)) (i32.const 0))
  (func (export "proxy_on_downstream_connection_close") (param i32 i32) (call $maybe (i32.const 14)))
  (func (export "proxy_on_upstream_connection_close") (param i32 i32) (call $maybe (i32.const 15)))
  (func (export "proxy_on_tick") (param i32) (call $maybe (i32.const 16)))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (call $maybe (i32.const 17)) (i32.const 1))
  (func (export "arm") (drop (call $proxy_set_tick_period_milliseconds (i32.const 1))))
  (func (export "setflag") (param $v i32) (i32.store (i32.const 0x60) (local.get $v)))`;

const CALLBACKS: Array<[number, string, (h: ReturnType<typeof drive>) => unknown]> = [];
function drive(plugin: Awaited<ReturnType<typeof loadWat>>['plugin']) {
  const http = plugin.httpStream(new RecordingStream());
  const tcp = plugin.tcpStream(new RecordingStream());
  return { http, tcp };
}
CALLBACKS.push(
  [2, 'proxy_on_request_headers', ({ http }) => http.onRequestHeaders([], false)],
  [3, 'proxy_on_request_body', ({ http }) => http.onRequestBody(Buffer.from('x'), false)],
  [4, 'proxy_on_request_trailers', ({ http }) => http.onRequestTrailers([])],
  [5, 'proxy_on_response_headers', ({ http }) => http.onResponseHeaders([], false)],
  [6, 'proxy_on_response_body', ({ http }) => http.onResponseBody(Buffer.from('x'), true)],
  [7, 'proxy_on_response_trailers', ({ http }) => http.onResponseTrailers([])],
  [11, 'proxy_on_new_connection', ({ tcp }) => tcp.onNewConnection()],
  [12, 'proxy_on_downstream_data', ({ tcp }) => tcp.onDownstreamData(Buffer.from('x'), false)],
  [13, 'proxy_on_upstream_data', ({ tcp }) => tcp.onUpstreamData(Buffer.from('x'), false)],
);

test('a trap in any stream callback fails the VM: Failed is returned, state/trap count/log record it', async () => {
  for (const [code, name, call] of CALLBACKS) {
    const { plugin, host } = await loadWat(TRAPS, {}, { name: `p${code}` });
    const streams = drive(plugin);
    runOn(streams.http, 'setflag', code);
    const failures: string[] = [];
    plugin.onFailure((r) => failures.push(r));
    assert.equal(call(streams), StreamAction.Failed, name);
    assert.equal(plugin.usable(), false);
    const st = plugin.state();
    assert.equal(st.state, 'failed');
    assert.equal(st.traps, 1);
    assert.match(st.failure!, new RegExp(`${name}: RuntimeError: unreachable`));
    assert.deepEqual(failures, [st.failure]);
    assert.ok(host.logs.some(([l, m]) => l === 4 && m.includes('wasm VM failed') && m.includes(name)));
    // never called again
    assert.equal(streams.http.onRequestHeaders([], false), StreamAction.Failed);
    assert.equal(plugin.state().traps, 1);
  }
});

test('traps in on_log / on_done / on_delete / close callbacks fail the VM without throwing to the embedder', async () => {
  for (const [code, run] of [
    [8, (s: ReturnType<typeof drive>) => s.http.finish()],
    [9, (s: ReturnType<typeof drive>) => s.http.finish()],
    [10, (s: ReturnType<typeof drive>) => s.http.finish()],
    [14, (s: ReturnType<typeof drive>) => s.tcp.onDownstreamClose(PeerType.Remote)],
    [15, (s: ReturnType<typeof drive>) => s.tcp.onUpstreamClose()],
  ] as const) {
    const { plugin } = await loadWat(TRAPS);
    const s = drive(plugin);
    runOn(s.http, 'setflag', code);
    run(s);
    assert.equal(plugin.state().state, 'failed', `code ${code}`);
  }
});

test('a trap in on_context_create of a stream fails the VM; the stream reports Failed', async () => {
  const { plugin } = await loadWat(TRAPS);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'setflag', 1);
  const s2 = plugin.httpStream(new RecordingStream());
  assert.equal(s2.failed, true);
  assert.equal(s2.onRequestHeaders([], false), StreamAction.Failed);
});

test('a trap in on_tick fails the VM and stops the timer', async () => {
  const { plugin } = await loadWat(TRAPS);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'setflag', 16);
  runOn(s, 'arm');
  for (let i = 0; i < 50 && plugin.usable(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.equal(plugin.state().state, 'failed');
  assert.match(plugin.state().failure!, /proxy_on_tick/);
});

test('restart() replaces a failed VM with a fresh one that works; the old VM stays failed', async () => {
  const { plugin, registry } = await loadWat(TRAPS);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'setflag', 2);
  assert.equal(s.onRequestHeaders([], false), StreamAction.Failed);
  const old = plugin.vm;
  plugin.restart();
  assert.notEqual(plugin.vm, old);
  assert.equal(old.failed, true);
  assert.equal(plugin.usable(), true);
  assert.equal(plugin.state().restarts, 1);
  assert.equal(plugin.state().traps, 1, 'trap count survives the restart');
  assert.equal(registry.size, 1);
  assert.equal(plugin.httpStream(new RecordingStream()).onRequestHeaders([], false), StreamAction.Continue);
});

test('an allocator returning 0 is INVALID_MEMORY_ACCESS; a garbage pointer fails the VM', async () => {
  const body = `
  (func (export "malloc") (param $n i32) (result i32) (i32.load (i32.const 0x70)))
  (func (export "read") (i32.store (i32.const 0x80) (call $proxy_get_buffer_bytes (i32.const 0) (i32.const 0) (i32.const 10) (i32.const 0x100) (i32.const 0x104))))
  (func (export "setret") (param $v i32) (i32.store (i32.const 0x70) (local.get $v)))`;
  const { plugin } = await loadWat(body, { allocator: 'none' });
  const s = plugin.httpStream(new RecordingStream());
  s.ctx.buffers[0] = Buffer.from('abc');
  runOn(s, 'setret', 0);
  runOn(s, 'read');
  assert.equal(u32(plugin, 0x80), 6);
  assert.equal(plugin.usable(), true);
  runOn(s, 'setret', 0x7ffffff0);
  runOn(s, 'read');
  assert.equal(plugin.usable(), false);
  assert.match(plugin.state().failure!, /allocator returned an out-of-bounds pointer/);
});

test('empty outputs are written as 0/0 without calling the allocator', async () => {
  const body = `
  (global $calls (mut i32) (i32.const 0))
  (func (export "malloc") (param $n i32) (result i32) (global.set $calls (i32.add (global.get $calls) (i32.const 1))) (i32.const 0x1000))
  (data (i32.const 0x400) "k")
  (func (export "read")
    (i32.store (i32.const 0x100) (i32.const 77)) (i32.store (i32.const 0x104) (i32.const 77))
    (i32.store (i32.const 0x80) (call $proxy_get_header_map_value (i32.const 0) (i32.const 0x400) (i32.const 1) (i32.const 0x100) (i32.const 0x104)))
    (i32.store (i32.const 0x84) (global.get $calls)))`;
  const { plugin } = await loadWat(body, { allocator: 'none' });
  const s = plugin.httpStream(new RecordingStream());
  s.ctx.maps[0] = [['k', '']];
  runOn(s, 'read');
  assert.deepEqual([u32(plugin, 0x80), u32(plugin, 0x100), u32(plugin, 0x104), u32(plugin, 0x84)], [0, 0, 0, 0]);
  s.ctx.maps[0] = [['k', 'z']];
  runOn(s, 'read');
  assert.deepEqual([u32(plugin, 0x80), u32(plugin, 0x100), u32(plugin, 0x104), u32(plugin, 0x84)], [0, 0x1000, 1, 1]);
});

test('memory growth past maxMemoryBytes fails inside the VM only; other plugins keep working', async () => {
  const body = `
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (if (i32.lt_s (memory.grow (i32.const 64)) (i32.const 0)) (then unreachable)) (i32.const 0))`;
  const small = await loadWat(body, {}, { name: 'small', maxMemoryBytes: 40 * 65536 });
  const other = await loadWat(body, {}, { name: 'other' });
  assert.equal(small.plugin.httpStream(new RecordingStream()).onRequestHeaders([], false), StreamAction.Failed);
  assert.equal(small.plugin.state().state, 'failed');
  assert.ok(small.plugin.vm.mem.byteLength() <= 40 * 65536);
  assert.equal(other.plugin.httpStream(new RecordingStream()).onRequestHeaders([], false), StreamAction.Continue);
});

test('WASI proc_exit fails the VM; fd_write goes to the log as info (fd 1) / error (fd 2)', async () => {
  const body = `
  (data (i32.const 0x400) "hello out\\n")
  (data (i32.const 0x420) "bad news")
  (func (export "out")
    (i32.store (i32.const 0x500) (i32.const 0x400)) (i32.store (i32.const 0x504) (i32.const 10))
    (i32.store (i32.const 0x80) (call $fd_write (i32.const 1) (i32.const 0x500) (i32.const 1) (i32.const 0x508)))
    (i32.store (i32.const 0x510) (i32.const 0x420)) (i32.store (i32.const 0x514) (i32.const 8))
    (i32.store (i32.const 0x84) (call $unstable_fd_write (i32.const 2) (i32.const 0x510) (i32.const 1) (i32.const 0x518)))
    (i32.store (i32.const 0x88) (call $fd_write (i32.const 5) (i32.const 0x510) (i32.const 1) (i32.const 0x518))))
  (func (export "bye") (call $proc_exit (i32.const 3)))`;
  const { plugin, host } = await loadWat(body);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'out');
  assert.deepEqual([u32(plugin, 0x80), u32(plugin, 0x84), u32(plugin, 0x88), u32(plugin, 0x508)], [0, 0, 8, 10]);
  assert.deepEqual(host.logs.slice(0, 2), [[2, 'hello out'], [4, 'bad news']]);
  runOn(s, 'bye');
  assert.equal(plugin.usable(), false);
  assert.match(plugin.state().failure!, /proc_exit\(3\)/);
});

test('per-callback count and cumulative time are exposed for /plugins', async () => {
  const { plugin } = await loadWat(TRAPS);
  const s = plugin.httpStream(new RecordingStream());
  s.onRequestHeaders([], false);
  s.onRequestHeaders([], false);
  const cb = plugin.state().callbacks;
  assert.equal(cb.proxy_on_request_headers!.count, 2);
  assert.ok(cb.proxy_on_request_headers!.totalMs >= 0);
  assert.equal(cb.proxy_on_configure!.count, 1);
  assert.equal(cb.proxy_on_context_create!.count, 2);
});

const CALL_PAIRS = serializePairs([[':method', 'GET'], [':path', '/'], [':authority', 'a']]);
const hex = (b: Uint8Array) => Array.from(b, (x) => `\\${x.toString(16).padStart(2, '0')}`).join('');

test('traps in root callbacks (on_http_call_response, on_queue_ready, on_grpc_receive) fail the VM too', async () => {
  const body = `
  (data (i32.const 0x400) "c")
  (data (i32.const 0x410) "q")
  (data (i32.const 0x600) "${hex(CALL_PAIRS)}")
  (func (export "call") (drop (call $proxy_http_call (i32.const 0x400) (i32.const 1) (i32.const 0x600) (i32.const ${CALL_PAIRS.length})
    (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0x100))))
  (func (export "queue")
    (drop (call $proxy_register_shared_queue (i32.const 0x410) (i32.const 1) (i32.const 0x104)))
    (drop (call $proxy_enqueue_shared_queue (i32.load (i32.const 0x104)) (i32.const 0x410) (i32.const 1))))
  (func (export "grpc") (drop (call $proxy_grpc_call (i32.const 0x400) (i32.const 1) (i32.const 0x400) (i32.const 1) (i32.const 0x400) (i32.const 1)
    (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0x108))))
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32) unreachable)
  (func (export "proxy_on_queue_ready") (param i32 i32) unreachable)
  (func (export "proxy_on_grpc_receive") (param i32 i32 i32) unreachable)`;
  for (const [op, name] of [['call', 'proxy_on_http_call_response'], ['queue', 'proxy_on_queue_ready'], ['grpc', 'proxy_on_grpc_receive']] as const) {
    const host = testHost({
      httpCall: (_req, done) => {
        setImmediate(() => done({ headers: [[':status', '200']], body: new Uint8Array(0), trailers: [] }));
        return 'ok';
      },
      grpcCall: (_req, ev) => {
        setImmediate(() => ev.message(Buffer.from('m')));
        return 'ok';
      },
    });
    const { plugin } = await loadWat(body, {}, {}, host);
    runOn(plugin.httpStream(new RecordingStream()), op);
    assert.equal(plugin.usable(), true, `${op}: answers are asynchronous`);
    for (let i = 0; i < 50 && plugin.usable(); i++) await new Promise((r) => setImmediate(r));
    assert.equal(plugin.state().state, 'failed', op);
    assert.match(plugin.state().failure!, new RegExp(name));
  }
});

test('a restart whose on_configure refuses gives the shared VM back once: stop and further restarts leave its other users alone', async () => {
  // on_configure refuses a 4-byte configuration unless it is the first configure on this VM instance.
  const body = `
  (func (export "proxy_on_configure") (param $r i32) (param $n i32) (result i32)
    (local $seen i32)
    (local.set $seen (i32.load (i32.const 0x90)))
    (i32.store (i32.const 0x90) (i32.add (local.get $seen) (i32.const 1)))
    (i32.eqz (i32.and (i32.gt_u (local.get $seen) (i32.const 0)) (i32.eq (local.get $n) (i32.const 4)))))
  (func (export "boom") unreachable)`;
  const code = await compileWat(pluginWat(body));
  const registry = new VmRegistry();
  const vmId = uniqueVmId();
  const a = await loadPlugin({ name: 'a', code, vmId, config: 'late' }, testHost(), registry);
  const b = await loadPlugin({ name: 'b', code, vmId, config: 'x' }, testHost(), registry);
  assert.equal(a.vm, b.vm);
  a.vm.invoke(undefined, 'boom', a.vm.exports.boom!);
  assert.equal(b.usable(), false);
  b.restart();
  assert.throws(() => a.restart(), /proxy_on_configure returned false/);
  assert.throws(() => a.restart(), /proxy_on_configure returned false/);
  a.stop();
  assert.equal(b.usable(), true);
  assert.equal(registry.size, 1, 'b still holds the fresh VM');
  const c = await loadPlugin({ name: 'c', code, vmId, config: 'y' }, testHost(), registry);
  assert.equal(c.vm, b.vm, 'a new plugin with the same key shares the running VM');
  b.stop();
  c.stop();
  assert.equal(registry.size, 0);
});
