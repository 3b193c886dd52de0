import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWat, RecordingStream, runOn, u32 } from './harness.ts';
import { metricStore } from '../shared/metric-store.ts';

const M = `
  (data (i32.const 0x400) "abi_test_requests_total")
  (data (i32.const 0x420) "abi_test_inflight")
  (data (i32.const 0x440) "abi_test_latency")
  (func (export "define") (param $type i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0x80) (call $proxy_define_metric (local.get $type) (local.get $ptr) (local.get $len) (i32.const 0x100))))
  (func (export "inc") (param $id i32) (param $d i64) (i32.store (i32.const 0x80) (call $proxy_increment_metric (local.get $id) (local.get $d))))
  (func (export "rec") (param $id i32) (param $v i64) (i32.store (i32.const 0x80) (call $proxy_record_metric (local.get $id) (local.get $v))))
  (func (export "get") (param $id i32) (i32.store (i32.const 0x80) (call $proxy_get_metric (local.get $id) (i32.const 0x108))))`;

test('metric ids carry the type in the low 2 bits and step by 4 per type; bad type = BAD_ARGUMENT', async () => {
  const { plugin } = await loadWat(M);
  const s = plugin.httpStream(new RecordingStream());
  const define = (type: number, ptr: number, len: number) => {
    runOn(s, 'define', type, ptr, len);
    return [u32(plugin, 0x80), u32(plugin, 0x100)];
  };
  assert.deepEqual(define(0, 0x400, 23), [0, 4]);
  assert.deepEqual(define(0, 0x400, 23), [0, 8], 'same name again: new id, same stat');
  assert.deepEqual(define(1, 0x420, 17), [0, 5]);
  assert.deepEqual(define(2, 0x440, 16), [0, 6]);
  assert.equal(define(3, 0x440, 16)[0], 2);
});

test('counter / gauge / histogram semantics and statuses', async () => {
  const { plugin } = await loadWat(M);
  const s = plugin.httpStream(new RecordingStream());
  const call = (name: string, id: number, v?: bigint) => {
    const fn = plugin.vm.exports[name]!;
    plugin.vm.invoke(s.ctx, name, fn, id, v as unknown as number);
    return u32(plugin, 0x80);
  };
  const get = (id: number) => (call('get', id), plugin.vm.mem.bytes().readBigUInt64LE(0x108));
  runOn(s, 'define', 0, 0x400, 23);
  const c1 = u32(plugin, 0x100);
  runOn(s, 'define', 0, 0x400, 23);
  const c2 = u32(plugin, 0x100);
  runOn(s, 'define', 1, 0x420, 17);
  const g = u32(plugin, 0x100);
  runOn(s, 'define', 2, 0x440, 16);
  const h = u32(plugin, 0x100);
  const before = get(c1);
  assert.equal(call('inc', c1, 3n), 0);
  assert.equal(call('inc', c2, 2n), 0);
  assert.equal(get(c2) - before, 5n, 'both ids update the same counter');
  assert.equal(call('inc', c1, 0n), 2, 'counter increments must be > 0');
  assert.equal(call('inc', c1, -1n), 2);
  assert.equal(call('rec', c1, 10n), 0, 'record on a counter adds');
  assert.equal(get(c1) - before, 15n);
  assert.equal(call('rec', g, 7n), 0);
  assert.equal(call('inc', g, -10n), 0, 'gauges go down');
  assert.equal(BigInt.asIntN(64, get(g)), -3n);
  assert.equal(call('inc', h, 1n), 2, 'histograms only record');
  assert.equal(call('rec', h, 42n), 0);
  assert.equal(call('get', h), 2);
  assert.equal(call('get', 999), 1);
  assert.equal(call('inc', 999, 1n), 1);
  assert.equal(call('rec', 999, 1n), 1);
  const cell = [...metricStore.cells()].find((c) => c.name === 'abi_test_latency')!;
  assert.equal(cell.count >= 1, true);
  assert.equal(cell.sum >= 42, true);
});
