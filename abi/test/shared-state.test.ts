import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileWat, pluginWat } from './wat.ts';
import { loadWat, outBytes, RecordingStream, runOn, testHost, tick, u32, uniqueVmId } from './harness.ts';
import { loadPlugin, VmRegistry } from '../plugin.ts';

const SD = `
  (data (i32.const 0x400) "counter")
  (data (i32.const 0x410) "v1v2")
  (func (export "get")
    (i32.store (i32.const 0x80) (call $proxy_get_shared_data (i32.const 0x400) (i32.const 7) (i32.const 0x100) (i32.const 0x104) (i32.const 0x108))))
  (func (export "set") (param $off i32) (param $cas i32)
    (i32.store (i32.const 0x80) (call $proxy_set_shared_data (i32.const 0x400) (i32.const 7) (i32.add (i32.const 0x410) (local.get $off)) (i32.const 2) (local.get $cas))))`;

test('shared data: NOT_FOUND, then CAS semantics (0 = unconditional, mismatch = 8, absent key ignores CAS)', async () => {
  const { plugin } = await loadWat(SD);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'get');
  assert.equal(u32(plugin, 0x80), 1);
  runOn(s, 'set', 0, 12345);
  assert.equal(u32(plugin, 0x80), 0, 'CAS ignored for an absent key');
  runOn(s, 'get');
  assert.equal(u32(plugin, 0x80), 0);
  assert.equal(outBytes(plugin, 0x100, 0x104).toString(), 'v1');
  const cas1 = u32(plugin, 0x108);
  assert.ok(cas1 > 0);
  runOn(s, 'set', 2, cas1 + 1);
  assert.equal(u32(plugin, 0x80), 8, 'stale CAS');
  runOn(s, 'set', 2, cas1);
  assert.equal(u32(plugin, 0x80), 0);
  runOn(s, 'get');
  assert.equal(outBytes(plugin, 0x100, 0x104).toString(), 'v2');
  const cas2 = u32(plugin, 0x108);
  assert.ok(cas2 > cas1);
  runOn(s, 'set', 2, cas1);
  assert.equal(u32(plugin, 0x80), 8, 'the old CAS no longer matches');
  runOn(s, 'set', 0, 0);
  assert.equal(u32(plugin, 0x80), 0, 'CAS 0 always writes');
});

test('shared data is shared by vm_id across VMs with different code, and isolated between vm_ids', async () => {
  const vmId = uniqueVmId();
  const registry = new VmRegistry();
  const a = await loadPlugin({ name: 'a', vmId, code: await compileWat(pluginWat(SD)) }, testHost(), registry);
  const b = await loadPlugin({ name: 'b', vmId, code: await compileWat(pluginWat(`${SD}(func (export "other"))`)) }, testHost(), registry);
  const c = await loadPlugin({ name: 'c', vmId: uniqueVmId(), code: await compileWat(pluginWat(SD)) }, testHost(), registry);
  assert.notEqual(a.vm, b.vm);
  runOn(a.httpStream(new RecordingStream()), 'set', 0, 0);
  runOn(b.httpStream(new RecordingStream()), 'get');
  assert.equal(u32(b, 0x80), 0);
  assert.equal(outBytes(b, 0x100, 0x104).toString(), 'v1');
  runOn(c.httpStream(new RecordingStream()), 'get');
  assert.equal(u32(c, 0x80), 1);
});

const QUEUE = `
  (data (i32.const 0x400) "events")
  (data (i32.const 0x410) "item")
  (func (export "register") (i32.store (i32.const 0x80) (call $proxy_register_shared_queue (i32.const 0x400) (i32.const 6) (i32.const 0x100))))
  (func (export "resolve") (param $vmptr i32) (param $vmlen i32)
    (i32.store (i32.const 0x80) (call $proxy_resolve_shared_queue (local.get $vmptr) (local.get $vmlen) (i32.const 0x400) (i32.const 6) (i32.const 0x104))))
  (func (export "enqueue") (param $id i32) (i32.store (i32.const 0x80) (call $proxy_enqueue_shared_queue (local.get $id) (i32.const 0x410) (i32.const 4))))
  (func (export "dequeue") (param $id i32) (i32.store (i32.const 0x80) (call $proxy_dequeue_shared_queue (local.get $id) (i32.const 0x108) (i32.const 0x10c))))
  (func (export "proxy_on_queue_ready") (param $root i32) (param $id i32)
    (i32.store (i32.const 0x120) (i32.add (i32.load (i32.const 0x120)) (i32.const 1)))
    (i32.store (i32.const 0x124) (local.get $root)) (i32.store (i32.const 0x128) (local.get $id)))`;

test('shared queues: register/resolve/enqueue/dequeue statuses, on_queue_ready to the registrant root, async', async () => {
  const vmId = uniqueVmId();
  const registry = new VmRegistry();
  const code = await compileWat(pluginWat(QUEUE));
  const recv = await loadPlugin({ name: 'recv', vmId, code }, testHost(), registry);
  const send = await loadPlugin({ name: 'send', vmId, code, vmConfig: 'different VM' }, testHost(), registry);
  const rs = recv.httpStream(new RecordingStream());
  const ss = send.httpStream(new RecordingStream());
  runOn(ss, 'resolve', 0, 0);
  assert.equal(u32(send, 0x80), 1, 'resolve never creates');
  runOn(rs, 'register');
  assert.equal(u32(recv, 0x80), 0);
  const id = u32(recv, 0x100);
  assert.ok(id > 0);
  runOn(ss, 'resolve', 0, 0);
  assert.equal(u32(send, 0x80), 0, 'empty vm_id = own vm_id');
  assert.equal(u32(send, 0x104), id);
  runOn(ss, 'dequeue', id);
  assert.equal(u32(send, 0x80), 7, 'EMPTY');
  runOn(ss, 'enqueue', id);
  assert.equal(u32(send, 0x80), 0);
  assert.equal(u32(recv, 0x120), 0, 'notification is asynchronous');
  await tick();
  assert.equal(u32(recv, 0x120), 1);
  assert.equal(u32(recv, 0x124), recv.vm.contexts.values().next().value!.id, 'delivered to the registrant root');
  assert.equal(u32(recv, 0x128), id);
  runOn(rs, 'dequeue', id);
  assert.equal(u32(recv, 0x80), 0);
  assert.equal(outBytes(recv, 0x108, 0x10c).toString(), 'item');
  runOn(ss, 'enqueue', id + 1000);
  assert.equal(u32(send, 0x80), 1, 'unknown queue id');
  runOn(ss, 'dequeue', id + 1000);
  assert.equal(u32(send, 0x80), 1);
});

test('shared data of a vm_id lives while a plugin with that vm_id does, across restarts', async () => {
  const vmId = uniqueVmId();
  const registry = new VmRegistry();
  const code = await compileWat(pluginWat(`${SD}(func (export "boom") unreachable)`));
  const a = await loadPlugin({ name: 'a', vmId, code }, testHost(), registry);
  const b = await loadPlugin({ name: 'b', vmId, code, vmConfig: 'other VM' }, testHost(), registry);
  runOn(a.httpStream(new RecordingStream()), 'set', 0, 0);
  runOn(a.httpStream(new RecordingStream()), 'boom');
  a.restart();
  runOn(a.httpStream(new RecordingStream()), 'get');
  assert.equal(u32(a, 0x80), 0, 'kept across a VM restart');
  a.stop();
  runOn(b.httpStream(new RecordingStream()), 'get');
  assert.equal(u32(b, 0x80), 0, 'b still holds the vm_id');
  b.stop();
  const c = await loadPlugin({ name: 'c', vmId, code }, testHost(), registry);
  runOn(c.httpStream(new RecordingStream()), 'get');
  assert.equal(u32(c, 0x80), 1, 'gone with the last plugin of the vm_id');
});
