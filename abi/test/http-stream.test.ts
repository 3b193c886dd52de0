import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWat, outBytes, poke, RecordingStream, runOn, u32 } from './harness.ts';
import { serializePairs } from '../memory/pairs.ts';
import { StreamAction } from '../types.ts';

const EVENTS = `
  (func $ev (param $code i32)
    (i32.store (i32.add (i32.const 0x200) (i32.mul (i32.load (i32.const 0x1fc)) (i32.const 4))) (local.get $code))
    (i32.store (i32.const 0x1fc) (i32.add (i32.load (i32.const 0x1fc)) (i32.const 1))))`;
const events = (p: Parameters<typeof u32>[0]) => Array.from({ length: u32(p, 0x1fc) }, (_, i) => u32(p, 0x200 + i * 4));
const resetEvents = (p: Parameters<typeof u32>[0]) => poke(p, 0x1fc, Buffer.alloc(4));

// Callbacks return whatever the test stored at 0x60 (headers), 0x64 (body), 0x68 (trailers).
const RETURNS = `${EVENTS}
  (func (export "proxy_on_context_create") (param $c i32) (param $p i32) (call $ev (i32.const 1)) (call $ev (local.get $c)) (call $ev (local.get $p)))
  (func (export "proxy_on_request_headers") (param $c i32) (param $n i32) (param $eos i32) (result i32)
    (call $ev (i32.const 2)) (call $ev (local.get $c)) (call $ev (local.get $n)) (call $ev (local.get $eos)) (i32.load (i32.const 0x60)))
  (func (export "proxy_on_response_headers") (param $c i32) (param $n i32) (param $eos i32) (result i32) (i32.load (i32.const 0x60)))
  (func (export "proxy_on_request_body") (param $c i32) (param $n i32) (param $eos i32) (result i32)
    (call $ev (i32.const 3)) (call $ev (local.get $n)) (call $ev (local.get $eos)) (i32.load (i32.const 0x64)))
  (func (export "proxy_on_response_body") (param $c i32) (param $n i32) (param $eos i32) (result i32) (i32.load (i32.const 0x64)))
  (func (export "proxy_on_request_trailers") (param $c i32) (param $n i32) (result i32) (i32.load (i32.const 0x68)))
  (func (export "proxy_on_response_trailers") (param $c i32) (param $n i32) (result i32) (i32.load (i32.const 0x68)))
  (func (export "proxy_on_log") (param $c i32) (call $ev (i32.const 7)) (call $ev (local.get $c)))
  (func (export "proxy_on_done") (param $c i32) (result i32) (call $ev (i32.const 8)) (call $ev (local.get $c)) (i32.const 1))
  (func (export "proxy_on_delete") (param $c i32) (call $ev (i32.const 9)) (call $ev (local.get $c)))`;

const setRet = (p: Parameters<typeof u32>[0], addr: number, v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  poke(p, addr, b);
};

test('header callback statuses: 0 and 2 continue; 1, 3, 4, larger and negative stop (C++/AS richer statuses)', async () => {
  const { plugin } = await loadWat(RETURNS);
  const s = plugin.httpStream(new RecordingStream());
  const expected: Array<[number, StreamAction]> = [[0, 0], [1, 1], [2, 0], [3, 1], [4, 1], [100, 1], [-1, 1]];
  for (const [ret, action] of expected) {
    setRet(plugin, 0x60, ret);
    assert.equal(s.onRequestHeaders([[':path', '/']], false), action, `request headers returning ${ret}`);
    assert.equal(s.onResponseHeaders([[':status', '200']], false), action, `response headers returning ${ret}`);
  }
});

test('body statuses: 0 continue, 1 and 2 buffer, 3+ stop; trailers: 0 continue, anything else stops', async () => {
  const { plugin } = await loadWat(RETURNS);
  const s = plugin.httpStream(new RecordingStream());
  for (const [ret, action] of [[0, 0], [1, 2], [2, 2], [3, 1], [7, 1]] as const) {
    setRet(plugin, 0x64, ret);
    assert.equal(s.onRequestBody(Buffer.from('abc'), false), action, `request body ${ret}`);
    assert.equal(s.onResponseBody(Buffer.from('abc'), true), action, `response body ${ret}`);
  }
  for (const [ret, action] of [[0, 0], [1, 1], [5, 1]] as const) {
    setRet(plugin, 0x68, ret);
    assert.equal(s.onRequestTrailers([['t', '1']]), action);
    assert.equal(s.onResponseTrailers([['t', '1']]), action);
  }
});

test('stream lifecycle: context_create(stream, root), headers(ctx, n, eos), body(size, eos), then on_log, on_done, on_delete', async () => {
  const { plugin } = await loadWat(RETURNS);
  resetEvents(plugin);
  const s = plugin.httpStream(new RecordingStream());
  s.onRequestHeaders([[':method', 'POST'], [':path', '/'], ['a', 'b']], false);
  s.onRequestBody(Buffer.from('hello'), true);
  s.finish();
  const id = s.ctx.id;
  assert.equal(id, 2, 'root is 1, first stream 2');
  assert.deepEqual(events(plugin), [1, id, 1, 2, id, 3, 0, 3, 5, 1, 7, id, 8, id, 9, id]);
  assert.equal(plugin.vm.contexts.has(id), false);
  s.finish();
  assert.equal(events(plugin).length, 16, 'finish is idempotent');
  const next = plugin.httpStream(new RecordingStream());
  assert.equal(next.ctx.id, 3, 'ids keep counting');
});

test('ABI 0.1.0 headers callbacks receive (ctx, n) only', async () => {
  const body = `
  (func (export "proxy_on_request_headers") (param $c i32) (param $n i32) (result i32)
    (i32.store (i32.const 0x100) (local.get $n)) (i32.const 1))`;
  const { plugin } = await loadWat(body, { abi: '0_1_0' });
  const s = plugin.httpStream(new RecordingStream());
  assert.equal(s.onRequestHeaders([['a', '1'], ['b', '2']], true), StreamAction.Stop);
  assert.equal(u32(plugin, 0x100), 2);
});

// Body operations: data "XY" at 0x440.
const BODY_OPS = `
  (data (i32.const 0x440) "XY")
  (func (export "get") (param $type i32) (param $start i32) (param $max i32)
    (i32.store (i32.const 0x80) (call $proxy_get_buffer_bytes (local.get $type) (local.get $start) (local.get $max) (i32.const 0x100) (i32.const 0x104))))
  (func (export "set") (param $type i32) (param $start i32) (param $size i32)
    (i32.store (i32.const 0x80) (call $proxy_set_buffer_bytes (local.get $type) (local.get $start) (local.get $size) (i32.const 0x440) (i32.const 2))))
  (func (export "status") (param $type i32)
    (i32.store (i32.const 0x80) (call $proxy_get_buffer_status (local.get $type) (i32.const 0x108) (i32.const 0x10c))))`;

test('get_buffer_bytes clamps start/size (u32::MAX = all); unavailable = NOT_FOUND; bad type = BAD_ARGUMENT', async () => {
  const { plugin } = await loadWat(BODY_OPS);
  const s = plugin.httpStream(new RecordingStream());
  s.ctx.buffers[0] = Buffer.from('hello world');
  runOn(s, 'get', 0, 0, -1);
  assert.equal(u32(plugin, 0x80), 0);
  assert.equal(outBytes(plugin, 0x100, 0x104).toString(), 'hello world');
  runOn(s, 'get', 0, 6, 3);
  assert.equal(outBytes(plugin, 0x100, 0x104).toString(), 'wor');
  runOn(s, 'get', 0, 6, 100);
  assert.equal(outBytes(plugin, 0x100, 0x104).toString(), 'world');
  poke(plugin, 0x100, Buffer.from([1, 0, 0, 0, 2, 0, 0, 0]));
  runOn(s, 'get', 0, 50, 10);
  assert.equal(u32(plugin, 0x80), 0);
  assert.deepEqual([u32(plugin, 0x100), u32(plugin, 0x104)], [0, 0], 'start past the end: OK with 0/0 (reference §3.4)');
  runOn(s, 'get', 1, 0, 10);
  assert.equal(u32(plugin, 0x80), 1, 'response body not available');
  runOn(s, 'get', 9, 0, 10);
  assert.equal(u32(plugin, 0x80), 2, 'type > 8');
  runOn(s, 'status', 0);
  assert.equal(u32(plugin, 0x80), 0);
  assert.equal(u32(plugin, 0x108), 11);
  runOn(s, 'get', 4, 0, 10);
  assert.equal(u32(plugin, 0x80), 1, 'http call body outside on_http_call_response');
});

test('set_buffer_bytes follows Envoy: (0,0) prepends, (0,len) replaces, start>=len appends, others BAD_ARGUMENT', async () => {
  const { plugin } = await loadWat(BODY_OPS);
  const s = plugin.httpStream(new RecordingStream());
  s.ctx.buffers[0] = Buffer.from('body');
  runOn(s, 'set', 0, 0, 0);
  assert.equal(u32(plugin, 0x80), 0);
  assert.equal(Buffer.from(s.requestBody!).toString(), 'XYbody');
  runOn(s, 'set', 0, 6, 0);
  assert.equal(Buffer.from(s.requestBody!).toString(), 'XYbodyXY', 'start == len appends');
  runOn(s, 'set', 0, 0, -1);
  assert.equal(Buffer.from(s.requestBody!).toString(), 'XY', '(0, MAXINT) replaces all');
  runOn(s, 'set', 0, 0, 1);
  assert.equal(Buffer.from(s.requestBody!).toString(), 'XYY', 'drops the first size bytes then prepends');
  runOn(s, 'set', 0, 1, 1);
  assert.equal(u32(plugin, 0x80), 2, 'mid-buffer edits are not supported');
  runOn(s, 'set', 1, 0, 0);
  assert.equal(u32(plugin, 0x80), 2, 'no response body yet (e.g. from on_response_headers)');
  runOn(s, 'set', 6, 0, 0);
  assert.equal(u32(plugin, 0x80), 2, 'read-only buffer');
});

// Stream control from request headers: the op number at 0x70 selects what to do.
const CONTROL = `
  (data (i32.const 0x400) "access denied")
  (data (i32.const 0x420) "nope")
  (func (export "proxy_on_request_headers") (param $c i32) (param $n i32) (param $eos i32) (result i32)
    (i32.store (i32.const 0x80) (call $proxy_continue_stream (i32.const 0)))
    (i32.store (i32.const 0x84) (call $proxy_continue_stream (i32.const 3)))
    (i32.store (i32.const 0x88) (call $proxy_continue_stream (i32.const 4)))
    (i32.store (i32.const 0x8c) (call $proxy_close_stream (i32.const 1)))
    (i32.store (i32.const 0x90) (call $proxy_close_stream (i32.const 9)))
    (i32.const 1))
  (func (export "proxy_on_response_headers") (param $c i32) (param $n i32) (param $eos i32) (result i32)
    (i32.store (i32.const 0x94) (call $proxy_send_local_response (i32.const 403) (i32.const 0x400) (i32.const 13)
      (i32.const 0x420) (i32.const 4) (i32.const 0x800) (i32.load (i32.const 0x74)) (i32.load (i32.const 0x78))))
    (i32.const 0))`;

test('continue/close are deferred until the callback returned; upstream continue = UNIMPLEMENTED, bad type = BAD_ARGUMENT', async () => {
  const { plugin } = await loadWat(CONTROL);
  const seen: Array<[string, number, boolean]> = [];
  const host = new RecordingStream();
  host.continueStream = (t) => seen.push(['continue', t, plugin.vm.current === undefined]);
  host.closeStream = (t) => seen.push(['close', t, plugin.vm.current === undefined]);
  const s = plugin.httpStream(host);
  assert.equal(s.onRequestHeaders([], false), StreamAction.Stop);
  assert.deepEqual([u32(plugin, 0x80), u32(plugin, 0x84), u32(plugin, 0x88), u32(plugin, 0x8c), u32(plugin, 0x90)], [0, 12, 2, 0, 2]);
  assert.deepEqual(seen, [['continue', 0, true], ['close', 1, true]]);
});

test('send_local_response: deferred, overrides the return value, details spaces -> _, headers added, grpc_status 0..16 only', async () => {
  const { plugin } = await loadWat(CONTROL);
  const hdrs = serializePairs([['X-Why', 'bad']]);
  poke(plugin, 0x800, hdrs);
  const b = Buffer.alloc(8);
  b.writeUInt32LE(hdrs.length, 0);
  b.writeInt32LE(-1, 4);
  poke(plugin, 0x74, b);
  const host = new RecordingStream();
  const s = plugin.httpStream(host);
  assert.equal(s.onResponseHeaders([[':status', '200']], false), StreamAction.Stop, 'returned 0 but replied locally');
  assert.equal(u32(plugin, 0x94), 0);
  assert.equal(host.replies.length, 1);
  const r = host.replies[0]!;
  assert.equal(r.status, 403);
  assert.equal(r.details, 'access_denied');
  assert.equal(Buffer.from(r.body).toString(), 'nope');
  assert.deepEqual(r.headers, [['x-why', 'bad']]);
  assert.equal(r.grpcStatus, undefined);
  b.writeInt32LE(16, 4);
  poke(plugin, 0x74, b);
  s.onResponseHeaders([[':status', '200']], false);
  assert.equal(host.replies[1]!.grpcStatus, 16);
});

test('ABI 0.1.0 continue_request / continue_response resume request / response', async () => {
  const body = `
  (func (export "proxy_on_request_headers") (param $c i32) (param $n i32) (result i32)
    (drop (call $proxy_continue_request)) (drop (call $proxy_continue_response)) (drop (call $proxy_clear_route_cache)) (i32.const 1))`;
  const { plugin } = await loadWat(body, { abi: '0_1_0' });
  const host = new RecordingStream();
  plugin.httpStream(host).onRequestHeaders([], false);
  assert.deepEqual(host.continued, [0, 1]);
});

// on_*_body adds "x-sum: 42" to the trailers map (1 request, 3 response) and keeps the status at 0x70/0x74.
const TRAILER_ADDER = `
  (data (i32.const 0x400) "x-sum")
  (data (i32.const 0x410) "42")
  (func (export "proxy_on_context_create") (param $c i32) (param $p i32))
  (func (export "proxy_on_request_body") (param $c i32) (param $n i32) (param $eos i32) (result i32)
    (i32.store (i32.const 0x70) (call $proxy_add_header_map_value (i32.const 1) (i32.const 0x400) (i32.const 5) (i32.const 0x410) (i32.const 2)))
    (i32.const 0))
  (func (export "proxy_on_response_body") (param $c i32) (param $n i32) (param $eos i32) (result i32)
    (if (i32.load (i32.const 0x78))
      (then (i32.store (i32.const 0x74) (call $proxy_add_header_map_value (i32.const 3) (i32.const 0x400) (i32.const 5) (i32.const 0x410) (i32.const 2)))))
    (i32.const 0))`;

test('trailers can be created from the last body callback (reference §7.4), and only from it', async () => {
  const { plugin } = await loadWat(TRAILER_ADDER);
  const s = plugin.httpStream(new RecordingStream());
  s.onRequestBody(Buffer.from('part'), false);
  assert.equal(u32(plugin, 0x70), 2, 'mid-stream: no trailers map (BadArgument)');
  assert.equal(s.addedTrailers, undefined);
  s.onRequestBody(Buffer.from('end'), true);
  assert.equal(u32(plugin, 0x70), 0);
  assert.deepEqual(s.addedTrailers, [['x-sum', '42']]);

  // A last body callback that adds nothing leaves no trailers behind.
  setRet(plugin, 0x78, 0);
  s.onResponseBody(Buffer.from('x'), true);
  assert.equal(s.addedTrailers, undefined);
  assert.equal(s.ctx.maps[3], undefined);
  setRet(plugin, 0x78, 1);
  s.onResponseBody(Buffer.from('x'), true);
  assert.deepEqual(s.addedTrailers, [['x-sum', '42']]);

  // A stream that already has a trailers map keeps it: nothing is created, nothing reported as added.
  const t = plugin.httpStream(new RecordingStream());
  const existing: Array<[string, string]> = [['existing', '1']];
  t.ctx.maps[1] = existing;
  t.onRequestBody(Buffer.from('end'), true);
  assert.equal(t.addedTrailers, undefined);
  assert.equal(t.ctx.maps[1], existing);
});
