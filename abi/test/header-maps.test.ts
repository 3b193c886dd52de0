import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWat, outBytes, poke, RecordingStream, runOn, u32 } from './harness.ts';
import { parsePairs, serializePairs } from '../memory/pairs.ts';
import { validHeader } from '../hostcalls/header-maps.ts';
import type { HeaderPairs } from '../types.ts';

// Strings at fixed addresses: 0x400 "x-a", 0x410 "missing", 0x420 "new-value", 0x430 "X-New".
const DATA = `
  (data (i32.const 0x400) "x-a")
  (data (i32.const 0x410) "missing")
  (data (i32.const 0x420) "new-value")
  (data (i32.const 0x430) "X-New")`;

const OPS = `${DATA}
  (func (export "get_pairs") (param $map i32)
    (i32.store (i32.const 0x80) (call $proxy_get_header_map_pairs (local.get $map) (i32.const 0x100) (i32.const 0x104))))
  (func (export "get_xa") (param $map i32)
    (i32.store (i32.const 0x80) (call $proxy_get_header_map_value (local.get $map) (i32.const 0x400) (i32.const 3) (i32.const 0x100) (i32.const 0x104))))
  (func (export "get_missing") (param $map i32)
    (i32.store (i32.const 0x80) (call $proxy_get_header_map_value (local.get $map) (i32.const 0x410) (i32.const 7) (i32.const 0x100) (i32.const 0x104))))
  (func (export "add_new") (param $map i32)
    (i32.store (i32.const 0x80) (call $proxy_add_header_map_value (local.get $map) (i32.const 0x430) (i32.const 5) (i32.const 0x420) (i32.const 9))))
  (func (export "replace_xa") (param $map i32)
    (i32.store (i32.const 0x80) (call $proxy_replace_header_map_value (local.get $map) (i32.const 0x400) (i32.const 3) (i32.const 0x420) (i32.const 9))))
  (func (export "remove_xa") (param $map i32)
    (i32.store (i32.const 0x80) (call $proxy_remove_header_map_value (local.get $map) (i32.const 0x400) (i32.const 3))))
  (func (export "set_pairs") (param $map i32) (param $size i32)
    (i32.store (i32.const 0x80) (call $proxy_set_header_map_pairs (local.get $map) (i32.const 0x800) (local.get $size))))
  (func (export "size") (param $map i32)
    (i32.store (i32.const 0x80) (call $proxy_get_header_map_size (local.get $map) (i32.const 0x108))))
  (func (export "hostile") (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0x80) (call $proxy_get_header_map_value (i32.const 0) (local.get $ptr) (local.get $len) (i32.const 0x100) (i32.const 0x104)))
    (i32.store (i32.const 0x84) (call $proxy_get_header_map_pairs (i32.const 0) (local.get $ptr) (i32.const 0x104)))
    (i32.store (i32.const 0x88) (call $proxy_set_header_map_pairs (i32.const 0) (local.get $ptr) (local.get $len)))
    (i32.store (i32.const 0x8c) (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x400) (i32.const 3) (local.get $ptr) (local.get $len))))
  (func (export "proxy_on_log") (param $c i32)
    (i32.store (i32.const 0x90) (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x430) (i32.const 5) (i32.const 0x420) (i32.const 9)))
    (i32.store (i32.const 0x94) (call $proxy_get_header_map_value (i32.const 0) (i32.const 0x400) (i32.const 3) (i32.const 0x100) (i32.const 0x104))))`;

function request(): HeaderPairs {
  return [[':method', 'GET'], [':path', '/p'], [':authority', 'svc'], ['x-a', 'one'], ['x-a', 'two'], ['accept', '*/*']];
}

async function setup(abi = '0_2_1') {
  const { plugin } = await loadWat(OPS, { abi });
  const stream = plugin.httpStream(new RecordingStream());
  stream.ctx.maps[0] = request();
  return { plugin, stream, status: () => u32(plugin, 0x80) };
}

test('get_header_map_pairs returns every pair in order, duplicates kept, in the §4.1 format', async () => {
  const { plugin, stream, status } = await setup();
  runOn(stream, 'get_pairs', 0);
  assert.equal(status(), 0);
  assert.deepEqual(parsePairs(outBytes(plugin, 0x100, 0x104)), request());
  assert.deepEqual(outBytes(plugin, 0x100, 0x104), serializePairs(request()));
});

test('get_header_map_value: first value, case-insensitive; missing = NOT_FOUND (0.2.x) or OK+empty (0.1.0)', async () => {
  const { plugin, stream, status } = await setup();
  stream.ctx.maps[0]!.push(['X-Upper', 'ignored']);
  runOn(stream, 'get_xa', 0);
  assert.equal(status(), 0);
  assert.equal(outBytes(plugin, 0x100, 0x104).toString(), 'one');
  runOn(stream, 'get_missing', 0);
  assert.equal(status(), 1);
  const old = await setup('0_1_0');
  poke(old.plugin, 0x100, Buffer.from([9, 9, 9, 9, 9, 9, 9, 9]));
  runOn(old.stream, 'get_missing', 0);
  assert.equal(old.status(), 0);
  assert.equal(u32(old.plugin, 0x100), 0);
  assert.equal(u32(old.plugin, 0x104), 0);
});

test('add appends a duplicate with a lower-cased name; replace keeps one; remove deletes all', async () => {
  const { stream, status } = await setup();
  const map = stream.ctx.maps[0]!;
  runOn(stream, 'add_new', 0);
  assert.equal(status(), 0);
  assert.deepEqual(map.at(-1), ['x-new', 'new-value']);
  runOn(stream, 'add_new', 0);
  assert.equal(map.filter(([k]) => k === 'x-new').length, 2);
  runOn(stream, 'replace_xa', 0);
  assert.equal(status(), 0);
  assert.deepEqual(map.filter(([k]) => k === 'x-a'), [['x-a', 'new-value']]);
  assert.equal(map.findIndex(([k]) => k === 'x-a'), 3, 'replaced in place');
  runOn(stream, 'remove_xa', 0);
  assert.equal(status(), 0);
  assert.equal(map.filter(([k]) => k === 'x-a').length, 0);
  runOn(stream, 'remove_xa', 0);
  assert.equal(status(), 0, 'removing an absent key is OK');
  // replace creates when absent
  runOn(stream, 'replace_xa', 0);
  assert.deepEqual(map.at(-1), ['x-a', 'new-value']);
});

test('set_header_map_pairs replaces the whole map in place (names lower-cased); malformed input clears it', async () => {
  const { plugin, stream, status } = await setup();
  const map = stream.ctx.maps[0]!;
  const bytes = serializePairs([[':method', 'POST'], ['X-Mixed', 'v']]);
  poke(plugin, 0x800, bytes);
  runOn(stream, 'set_pairs', 0, bytes.length);
  assert.equal(status(), 0);
  assert.equal(stream.ctx.maps[0], map, 'same array, changed in place');
  assert.deepEqual(map, [[':method', 'POST'], ['x-mixed', 'v']]);
  poke(plugin, 0x800, Buffer.from('ffffffff', 'hex'));
  runOn(stream, 'set_pairs', 0, 4);
  assert.equal(status(), 0);
  assert.deepEqual(map, []);
});

test('get_header_map_size reports header bytes (names + values), as Envoy', async () => {
  const { plugin, stream, status } = await setup();
  runOn(stream, 'size', 0);
  assert.equal(status(), 0);
  const expected = request().reduce((n, [k, v]) => n + k.length + v.length, 0);
  assert.equal(u32(plugin, 0x108), expected);
});

test('unavailable, read-only and unknown maps answer with Envoy statuses', async () => {
  const { plugin, stream, status } = await setup();
  poke(plugin, 0x100, Buffer.from([7, 7, 7, 7, 7, 7, 7, 7]));
  runOn(stream, 'get_pairs', 3); // response trailers: not available
  assert.equal(status(), 0);
  assert.equal(u32(plugin, 0x100), 0);
  assert.equal(u32(plugin, 0x104), 0);
  runOn(stream, 'get_pairs', 8);
  assert.equal(status(), 2, 'map type > 7');
  runOn(stream, 'get_xa', 2);
  assert.equal(status(), 1, 'value from an unavailable map: NOT_FOUND (never 2, which panics Rust)');
  runOn(stream, 'add_new', 2);
  assert.equal(status(), 2, 'write to an unavailable map');
  runOn(stream, 'add_new', 6);
  assert.equal(status(), 2, 'http call response headers are read-only');
  runOn(stream, 'size', 2);
  assert.equal(status(), 2);
});

test('maps are read-only in on_log but still readable', async () => {
  const { plugin, stream } = await setup();
  stream.finish();
  assert.equal(u32(plugin, 0x90), 2);
  assert.equal(u32(plugin, 0x94), 0);
  assert.equal(stream.ctx.maps[0]!.some(([k]) => k === 'x-new'), false);
});

test('hostile pointers and sizes return INVALID_MEMORY_ACCESS and never touch the host', async () => {
  const { plugin, stream } = await setup();
  const mem = plugin.vm.mem.byteLength();
  for (const [ptr, len] of [[mem - 1, 4], [0xfffffff0, 0x20], [0, 0xffffffff], [mem, 1]]) {
    runOn(stream, 'hostile', ptr | 0, len | 0);
    assert.equal(u32(plugin, 0x80), 6, `get value ${ptr},${len}`);
    assert.equal(u32(plugin, 0x88), 6, `set pairs ${ptr},${len}`);
    assert.equal(u32(plugin, 0x8c), 6, `add value ${ptr},${len}`);
  }
  assert.deepEqual(stream.ctx.maps[0], request());
  runOn(stream, 'hostile', mem - 2, 0);
  assert.equal(u32(plugin, 0x84), 6, 'out-param outside memory');
  assert.equal(plugin.usable(), true, 'a bad pointer is a status, not a failure');
});

test('names and values no HTTP codec can send are refused with BAD_ARGUMENT and a warning', async () => {
  const body = `${OPS}
  (data (i32.const 0x900) "x-ok")
  (data (i32.const 0x910) "bad\\00value")
  (data (i32.const 0x920) "bad name")
  (func (export "add_bad_value") (i32.store (i32.const 0x80) (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x900) (i32.const 4) (i32.const 0x910) (i32.const 9))))
  (func (export "add_bad_name") (i32.store (i32.const 0x80) (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x920) (i32.const 8) (i32.const 0x900) (i32.const 4))))
  (func (export "replace_bad") (i32.store (i32.const 0x80) (call $proxy_replace_header_map_value (i32.const 0) (i32.const 0x400) (i32.const 3) (i32.const 0x910) (i32.const 9))))`;
  const { plugin, host } = await loadWat(body);
  const s = plugin.httpStream(new RecordingStream());
  s.ctx.maps[0] = request();
  for (const op of ['add_bad_value', 'add_bad_name', 'replace_bad']) {
    runOn(s, op);
    assert.equal(u32(plugin, 0x80), 2, op);
  }
  assert.deepEqual(s.ctx.maps[0], request(), 'map unchanged');
  assert.ok(host.logs.some(([l, m]) => l === 3 && m.includes('refused header')));
  const bad = serializePairs([['ok', 'fine'], ['x', 'line\nbreak']]);
  poke(plugin, 0x800, bad);
  runOn(s, 'set_pairs', 0, bad.length);
  assert.equal(u32(plugin, 0x80), 2);
  assert.deepEqual(s.ctx.maps[0], request());
  assert.equal(plugin.usable(), true);
});

test('header validation: RFC 9110 tokens (lower case, optional leading colon) and values without control characters', () => {
  const vm = { logFor() {} } as unknown as Parameters<typeof validHeader>[0];
  for (const name of ['x-a', ':path', "a!#$%&'*+-.^_`|~9z"]) assert.equal(validHeader(vm, name, 'v'), true, name);
  for (const name of ['', ':', 'a b', 'A', 'é', 'x:y', 'a\u0100']) assert.equal(validHeader(vm, name, 'v'), false, JSON.stringify(name));
  for (const value of ['', 'tab\tok', 'latin1 \x80\xff', 'quotes "x" and ;=,']) assert.equal(validHeader(vm, 'x', value), true, JSON.stringify(value));
  for (const value of ['nul\0', 'cr\r', 'lf\n', 'del\x7f', 'wide\u0100']) assert.equal(validHeader(vm, 'x', value), false, JSON.stringify(value));
});
