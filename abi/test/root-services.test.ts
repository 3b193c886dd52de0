import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWat, outBytes, RecordingStream, runOn, testHost, u32 } from './harness.ts';

const EFF = `
  (func (export "switch") (param $id i32) (i32.store (i32.const 0x80) (call $proxy_set_effective_context (local.get $id))))
  (func (export "switch_and_continue") (param $id i32)
    (i32.store (i32.const 0x80) (call $proxy_set_effective_context (local.get $id)))
    (drop (call $proxy_continue_stream (i32.const 1))))`;

test('set_effective_context: live ids of this VM accepted, unknown ids BAD_ARGUMENT, reset for the next callback', async () => {
  const { plugin } = await loadWat(EFF);
  const hostA = new RecordingStream();
  const hostB = new RecordingStream();
  const a = plugin.httpStream(hostA);
  const b = plugin.httpStream(hostB);
  runOn(a, 'switch_and_continue', b.ctx.id);
  assert.equal(u32(plugin, 0x80), 0);
  assert.deepEqual(hostB.continued, [1]);
  assert.deepEqual(hostA.continued, []);
  runOn(a, 'switch', 12345);
  assert.equal(u32(plugin, 0x80), 2);
  assert.equal(plugin.vm.effective, undefined, 'restored after the call');
  b.finish();
  runOn(a, 'switch', b.ctx.id);
  assert.equal(u32(plugin, 0x80), 2, 'deleted context');
});

const DONE = `
  (func (export "proxy_on_done") (param $c i32) (result i32)
    (i32.store (i32.const 0x90) (i32.add (i32.load (i32.const 0x90)) (i32.const 1))) (i32.const 0))
  (func (export "proxy_on_delete") (param $c i32) (i32.store (i32.const 0x94) (local.get $c)))
  (func (export "proxy_on_tick") (param $r i32)
    (i32.store (i32.const 0x98) (call $proxy_done))
    (i32.store (i32.const 0x9c) (i32.load (i32.const 0x94))))
  (func (export "arm") (param $ms i32) (i32.store (i32.const 0x80) (call $proxy_set_tick_period_milliseconds (local.get $ms))))
  (func (export "done") (i32.store (i32.const 0x80) (call $proxy_done)))`;

test('root on_done false postpones deletion until proxy_done; on_delete runs after that callback, never inside it', async () => {
  const { plugin } = await loadWat(DONE);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'done');
  assert.equal(u32(plugin, 0x80), 1, 'nothing pending');
  runOn(s, 'arm', 1);
  s.finish();
  plugin.stop();
  const rootId = 1;
  assert.equal(u32(plugin, 0x90), 2, 'stream on_done and root on_done');
  assert.equal(u32(plugin, 0x94), s.ctx.id, 'only the stream was deleted yet');
  // the tick keeps working while done is pending; the plugin calls proxy_done from on_tick
  for (let i = 0; i < 100 && u32(plugin, 0x94) !== rootId; i++) await new Promise((r) => setTimeout(r, 2));
  assert.equal(u32(plugin, 0x98), 0);
  assert.equal(u32(plugin, 0x9c), s.ctx.id, 'on_delete(root) had not run inside on_tick');
  assert.equal(u32(plugin, 0x94), rootId);
  assert.equal(plugin.vm.contexts.size, 0);
});

const TICK = `
  (func (export "arm") (param $ms i32) (i32.store (i32.const 0x80) (call $proxy_set_tick_period_milliseconds (local.get $ms))))
  (func (export "proxy_on_tick") (param $r i32)
    (i32.store (i32.const 0x90) (i32.add (i32.load (i32.const 0x90)) (i32.const 1)))
    (i32.store (i32.const 0x94) (local.get $r))
    (if (i32.ge_u (i32.load (i32.const 0x90)) (i32.const 3)) (then (drop (call $proxy_set_tick_period_milliseconds (i32.const 0))))))`;

test('tick: one timer per root, set from a stream targets its root, re-armed after on_tick, 0 cancels', async () => {
  const { plugin } = await loadWat(TICK);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'arm', 1);
  assert.equal(u32(plugin, 0x80), 0);
  for (let i = 0; i < 200 && u32(plugin, 0x90) < 3; i++) await new Promise((r) => setTimeout(r, 2));
  assert.equal(u32(plugin, 0x90), 3);
  assert.equal(u32(plugin, 0x94), 1, 'on_tick gets the root id');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(u32(plugin, 0x90), 3, 'cancelled by period 0');
});

const MISC = `
  (data (i32.const 0x400) "compress")
  (data (i32.const 0x410) "clear_route_cache")
  (data (i32.const 0x430) "args")
  (func (export "ffi") (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0x80) (call $proxy_call_foreign_function (local.get $ptr) (local.get $len) (i32.const 0x430) (i32.const 4) (i32.const 0x100) (i32.const 0x104))))
  (func (export "misc")
    (i32.store (i32.const 0x80) (call $proxy_get_log_level (i32.const 0x110)))
    (i32.store (i32.const 0x84) (call $proxy_get_current_time_nanoseconds (i32.const 0x118)))
    (i32.store (i32.const 0x88) (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 0x120)))
    (i32.store (i32.const 0x8c) (call $random_get (i32.const 0x140) (i32.const 32)))
    (i32.store (i32.const 0x90) (call $environ_sizes_get (i32.const 0x128) (i32.const 0x12c)))
    (i32.store (i32.const 0x94) (call $environ_get (i32.const 0x130) (i32.const 0x600)))
    (i32.store (i32.const 0x98) (call $poll_oneoff (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0x138)))
    (i32.store (i32.const 0x9c) (call $proxy_log (i32.const 6) (i32.const 0x400) (i32.const 3)))
    (i32.store (i32.const 0xa0) (call $proxy_log (i32.const 3) (i32.const 0x400) (i32.const 8)))
    (i32.store (i32.const 0xa4) (call $proxy_log (i32.const 3) (i32.const 0x7ffffff0) (i32.const 8))))`;

test('foreign functions: host-implemented ones run, clear_route_cache is OK, unknown names NOT_FOUND', async () => {
  const host = testHost({ foreignFunction: (name, args) => (name === 'compress' ? Buffer.from(`z(${Buffer.from(args)})`) : undefined) });
  const { plugin } = await loadWat(MISC, {}, {}, host);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'ffi', 0x400, 8);
  assert.equal(u32(plugin, 0x80), 0);
  assert.equal(outBytes(plugin, 0x100, 0x104).toString(), 'z(args)');
  runOn(s, 'ffi', 0x410, 17);
  assert.equal(u32(plugin, 0x80), 0);
  runOn(s, 'ffi', 0x430, 4);
  assert.equal(u32(plugin, 0x80), 1);
});

test('log level, time, WASI clock/random/environ/poll_oneoff, proxy_log statuses', async () => {
  const host = testHost({ logLevel: () => 6 });
  const { plugin } = await loadWat(MISC, {}, { env: { A: '1', LONGER: 'two' }, name: 'misc' }, host);
  const s = plugin.httpStream(new RecordingStream());
  const before = BigInt(Date.now()) * 1_000_000n;
  runOn(s, 'misc');
  const b = plugin.vm.mem.bytes();
  assert.deepEqual([0x80, 0x84, 0x88, 0x8c, 0x90, 0x94, 0x98].map((a) => u32(plugin, a)), [0, 0, 0, 0, 0, 0, 0]);
  assert.equal(u32(plugin, 0x110), 5, 'level 6 (off) clamped to 5');
  assert.ok(b.readBigUInt64LE(0x118) >= before);
  assert.ok(b.readBigUInt64LE(0x120) > 0n);
  assert.notDeepEqual(b.subarray(0x140, 0x160), Buffer.alloc(32));
  assert.equal(u32(plugin, 0x128), 2);
  assert.equal(u32(plugin, 0x12c), 'A=1\0LONGER=two\0'.length);
  assert.equal(b.toString('utf8', u32(plugin, 0x130), u32(plugin, 0x130) + 3), 'A=1');
  assert.equal(b.toString('utf8', u32(plugin, 0x134), u32(plugin, 0x134) + 10), 'LONGER=two');
  assert.equal(u32(plugin, 0x138), 0, 'poll_oneoff: 0 events, success');
  assert.equal(u32(plugin, 0x9c), 2, 'level > 5');
  assert.equal(u32(plugin, 0xa0), 0);
  assert.equal(u32(plugin, 0xa4), 6);
  assert.deepEqual(host.logs.at(-1), [3, 'compress']);
});
