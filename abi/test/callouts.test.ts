import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWat, outBytes, poke, RecordingStream, runOn, testHost, u32 } from './harness.ts';
import { serializePairs } from '../memory/pairs.ts';
import type { GrpcEvents, HttpCallRequest, HttpCallResponse } from '../host.ts';

const HTTP = `
  (data (i32.const 0x400) "backend")
  (data (i32.const 0x410) "ping")
  (data (i32.const 0x420) ":status")
  (func $ev (param $code i32)
    (i32.store (i32.add (i32.const 0x200) (i32.mul (i32.load (i32.const 0x1fc)) (i32.const 4))) (local.get $code))
    (i32.store (i32.const 0x1fc) (i32.add (i32.load (i32.const 0x1fc)) (i32.const 1))))
  (func (export "call") (param $hlen i32) (param $timeout i32)
    (call $ev (i32.const 1))
    (i32.store (i32.const 0x80) (call $proxy_http_call (i32.const 0x400) (i32.const 7) (i32.const 0x800) (local.get $hlen)
      (i32.const 0x410) (i32.const 4) (i32.const 0) (i32.const 0) (local.get $timeout) (i32.const 0x100)))
    (call $ev (i32.const 2)))
  (func (export "remember_stream") (param $id i32) (i32.store (i32.const 0x140) (local.get $id)))
  (func (export "proxy_on_http_call_response") (param $root i32) (param $tok i32) (param $nh i32) (param $nb i32) (param $nt i32)
    (call $ev (i32.const 3))
    (i32.store (i32.const 0x110) (local.get $root)) (i32.store (i32.const 0x114) (local.get $tok))
    (i32.store (i32.const 0x118) (local.get $nh)) (i32.store (i32.const 0x11c) (local.get $nb))
    (drop (call $proxy_get_header_map_value (i32.const 6) (i32.const 0x420) (i32.const 7) (i32.const 0x120) (i32.const 0x124)))
    (drop (call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (local.get $nb) (i32.const 0x128) (i32.const 0x12c)))
    (drop (call $proxy_get_status (i32.const 0x130) (i32.const 0x134) (i32.const 0x138)))
    (i32.store (i32.const 0x13c) (call $proxy_set_effective_context (i32.load (i32.const 0x140))))
    (drop (call $proxy_continue_stream (i32.const 0))))`;

const GOOD = serializePairs([[':method', 'POST'], [':path', '/check'], [':authority', 'auth.local'], ['X-Extra', '1']]);

function fakeHttp(mode: 'async' | 'sync' | 'reset' | 'unknown' | 'fail') {
  const calls: HttpCallRequest[] = [];
  const pending: Array<(r: HttpCallResponse | undefined) => void> = [];
  let cancelled = 0;
  const host = testHost({
    httpCall(req, done) {
      calls.push(req);
      if (mode === 'unknown') return 'unknown-cluster';
      if (mode === 'fail') return 'failed';
      const res = { headers: [[':status', '201'], ['x', 'y']] as Array<[string, string]>, body: Buffer.from('pong!'), trailers: [] };
      if (mode === 'sync') done(res);
      else if (mode === 'reset') pending.push(() => done(undefined));
      else pending.push(() => done(res));
      return { cancel: () => cancelled++ };
    },
  });
  return { host, calls, pending, cancelled: () => cancelled };
}

async function setup(mode: Parameters<typeof fakeHttp>[0]) {
  const fake = fakeHttp(mode);
  const { plugin } = await loadWat(HTTP, {}, {}, fake.host);
  poke(plugin, 0x800, GOOD);
  const streamHost = new RecordingStream();
  const stream = plugin.httpStream(streamHost);
  runOn(stream, 'remember_stream', stream.ctx.id);
  return { plugin, fake, stream, streamHost };
}

test('http_call: request parsed from plugin memory, token 4 then 8, answer delivered to the owning root', async () => {
  const { plugin, fake, stream, streamHost } = await setup('async');
  runOn(stream, 'call', GOOD.length, 1500);
  assert.equal(u32(plugin, 0x80), 0);
  assert.equal(u32(plugin, 0x100), 4);
  runOn(stream, 'call', GOOD.length, 0);
  assert.equal(u32(plugin, 0x100), 8);
  const req = fake.calls[0]!;
  assert.equal(req.cluster, 'backend');
  assert.deepEqual(req.headers, [[':method', 'POST'], [':path', '/check'], [':authority', 'auth.local'], ['x-extra', '1']]);
  assert.equal(Buffer.from(req.body).toString(), 'ping');
  assert.equal(req.timeoutMs, 1500);
  fake.pending[0]!(undefined);
  assert.equal(u32(plugin, 0x110), 1, 'root context id');
  assert.equal(u32(plugin, 0x114), 4);
  assert.equal(u32(plugin, 0x118), 2);
  assert.equal(u32(plugin, 0x11c), 5);
  assert.equal(outBytes(plugin, 0x120, 0x124).toString(), '201');
  assert.equal(outBytes(plugin, 0x128, 0x12c).toString(), 'pong!');
  assert.equal(u32(plugin, 0x130), 0);
  assert.equal(u32(plugin, 0x13c), 0, 'effective context switched to the live stream');
  assert.deepEqual(streamHost.continued, [0], 'continue reached the stream that issued the call');
});

test('http_call: missing :authority / :path, unknown cluster, negative timeout -> BAD_ARGUMENT; send failure -> INTERNAL_FAILURE', async () => {
  const { plugin, stream } = await setup('async');
  const noAuth = serializePairs([[':method', 'GET'], [':path', '/']]);
  poke(plugin, 0x800, noAuth);
  runOn(stream, 'call', noAuth.length, 0);
  assert.equal(u32(plugin, 0x80), 2);
  poke(plugin, 0x800, GOOD);
  runOn(stream, 'call', GOOD.length, -5);
  assert.equal(u32(plugin, 0x80), 2);
  const unknown = await setup('unknown');
  runOn(unknown.stream, 'call', GOOD.length, 0);
  assert.equal(u32(unknown.plugin, 0x80), 2);
  const failed = await setup('fail');
  runOn(failed.stream, 'call', GOOD.length, 0);
  assert.equal(u32(failed.plugin, 0x80), 10);
});

test('a synchronous answer is delivered only after the calling callback returned', async () => {
  const { plugin, stream } = await setup('sync');
  runOn(stream, 'call', GOOD.length, 0);
  const ev = Array.from({ length: u32(plugin, 0x1fc) }, (_, i) => u32(plugin, 0x200 + i * 4));
  assert.deepEqual(ev, [1, 2, 3]);
});

test('a reset arrives as on_http_call_response(root, token, 0, 0, 0) with get_status = 11 "reset"', async () => {
  const { plugin, fake, stream } = await setup('reset');
  runOn(stream, 'call', GOOD.length, 0);
  fake.pending[0]!(undefined);
  assert.equal(u32(plugin, 0x118), 0);
  assert.equal(u32(plugin, 0x11c), 0);
  assert.equal(u32(plugin, 0x130), 11);
  assert.equal(outBytes(plugin, 0x134, 0x138).toString(), 'reset');
});

test('calls outlive their stream: the root still gets the answer; switching to the dead stream is BAD_ARGUMENT', async () => {
  const { plugin, fake, stream, streamHost } = await setup('async');
  runOn(stream, 'call', GOOD.length, 0);
  stream.finish();
  fake.pending[0]!(undefined);
  assert.equal(u32(plugin, 0x114), 4);
  assert.equal(u32(plugin, 0x13c), 2);
  assert.deepEqual(streamHost.continued, []);
});

test('stopping the plugin cancels outstanding calls; late answers are dropped', async () => {
  const { plugin, fake, stream } = await setup('async');
  runOn(stream, 'call', GOOD.length, 0);
  stream.finish();
  plugin.stop();
  assert.equal(fake.cancelled(), 1);
  fake.pending[0]!(undefined);
  assert.equal(u32(plugin, 0x114), 0, 'no delivery');
});

const GRPC = `
  (data (i32.const 0x400) "grpc-cluster")
  (data (i32.const 0x410) "pkg.Svc")
  (data (i32.const 0x420) "Check")
  (data (i32.const 0x430) "req!")
  (func (export "unary")
    (i32.store (i32.const 0x80) (call $proxy_grpc_call (i32.const 0x400) (i32.const 12) (i32.const 0x410) (i32.const 7)
      (i32.const 0x420) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0x430) (i32.const 4) (i32.const 250) (i32.const 0x100))))
  (func (export "stream")
    (i32.store (i32.const 0x80) (call $proxy_grpc_stream (i32.const 0x400) (i32.const 12) (i32.const 0x410) (i32.const 7)
      (i32.const 0x420) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0x104))))
  (func (export "send") (param $tok i32)
    (i32.store (i32.const 0x80) (call $proxy_grpc_send (local.get $tok) (i32.const 0x430) (i32.const 4) (i32.const 1))))
  (func (export "cancel") (param $tok i32) (i32.store (i32.const 0x80) (call $proxy_grpc_cancel (local.get $tok))))
  (func (export "close") (param $tok i32) (i32.store (i32.const 0x80) (call $proxy_grpc_close (local.get $tok))))
  (func (export "proxy_on_grpc_receive_initial_metadata") (param $r i32) (param $t i32) (param $n i32)
    (i32.store (i32.const 0x150) (local.get $n)))
  (func (export "proxy_on_grpc_receive") (param $r i32) (param $t i32) (param $n i32)
    (i32.store (i32.const 0x110) (local.get $t))
    (drop (call $proxy_get_buffer_bytes (i32.const 5) (i32.const 0) (local.get $n) (i32.const 0x118) (i32.const 0x11c))))
  (func (export "proxy_on_grpc_receive_trailing_metadata") (param $r i32) (param $t i32) (param $n i32)
    (i32.store (i32.const 0x154) (local.get $n)))
  (func (export "proxy_on_grpc_close") (param $r i32) (param $t i32) (param $s i32)
    (i32.store (i32.const 0x120) (local.get $t)) (i32.store (i32.const 0x124) (local.get $s))
    (drop (call $proxy_get_status (i32.const 0x128) (i32.const 0x12c) (i32.const 0x130))))`;

test('gRPC unary: token kind 1, message via buffer 5, success by message alone, failure via on_grpc_close + get_status', async () => {
  const events: GrpcEvents[] = [];
  let cancelled = 0;
  const host = testHost({
    grpcCall(req, ev) {
      assert.equal(req.service, 'pkg.Svc');
      assert.equal(req.method, 'Check');
      assert.equal(req.cluster, 'grpc-cluster');
      assert.equal(Buffer.from(req.message).toString(), 'req!');
      assert.equal(req.timeoutMs, 250);
      events.push(ev);
      return { cancel: () => cancelled++ };
    },
  });
  const { plugin } = await loadWat(GRPC, {}, {}, host);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'unary');
  assert.equal(u32(plugin, 0x80), 0);
  const tok = u32(plugin, 0x100);
  assert.equal(tok & 3, 1);
  events[0]!.message(Buffer.from('resp'));
  events[0]!.close(0, '');
  assert.equal(u32(plugin, 0x110), tok);
  assert.equal(outBytes(plugin, 0x118, 0x11c).toString(), 'resp');
  assert.equal(u32(plugin, 0x120), 0, 'no on_grpc_close for a successful unary call');
  runOn(s, 'unary');
  const tok2 = u32(plugin, 0x100);
  assert.equal(tok2, tok + 4);
  events[1]!.close(14, 'unavailable');
  assert.equal(u32(plugin, 0x120), tok2);
  assert.equal(u32(plugin, 0x124), 14);
  assert.equal(u32(plugin, 0x128), 14);
  assert.equal(outBytes(plugin, 0x12c, 0x130).toString(), 'unavailable');
  runOn(s, 'send', tok2);
  assert.equal(u32(plugin, 0x80), 2, 'send on a unary token');
  runOn(s, 'cancel', tok2);
  assert.equal(u32(plugin, 0x80), 1, 'already closed');
  runOn(s, 'unary');
  runOn(s, 'cancel', u32(plugin, 0x100));
  assert.equal(u32(plugin, 0x80), 0);
  assert.equal(cancelled, 1);
});

test('gRPC stream: token kind 2, send/close reach the host, metadata and close callbacks delivered', async () => {
  const sent: string[] = [];
  let halfClosed = 0;
  let ev!: GrpcEvents;
  const host = testHost({
    grpcStream(_req, events) {
      ev = events;
      return { send: (m, end) => sent.push(`${Buffer.from(m)}:${end}`), close: () => halfClosed++, cancel() {} };
    },
  });
  const { plugin } = await loadWat(GRPC, {}, {}, host);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'stream');
  const tok = u32(plugin, 0x104);
  assert.equal(tok & 3, 2);
  runOn(s, 'send', tok);
  assert.equal(u32(plugin, 0x80), 0);
  assert.deepEqual(sent, ['req!:true']);
  runOn(s, 'close', tok);
  assert.equal(halfClosed, 1);
  ev.initialMetadata([['a', '1'], ['b', '2']]);
  ev.message(Buffer.from('m1'));
  ev.trailingMetadata([['grpc-status', '0']]);
  ev.close(0, '');
  assert.equal(u32(plugin, 0x150), 2);
  assert.equal(u32(plugin, 0x154), 1);
  assert.equal(u32(plugin, 0x120), tok, 'streams always get on_grpc_close');
  runOn(s, 'send', tok + 4);
  assert.equal(u32(plugin, 0x80), 1, 'unknown stream token');
});

test('gRPC without a host implementation or to an unknown cluster answers PARSE_FAILURE (4), as Envoy', async () => {
  const { plugin } = await loadWat(GRPC);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'unary');
  assert.equal(u32(plugin, 0x80), 4);
  const h2 = testHost({ grpcCall: () => 'unknown-cluster' });
  const p2 = (await loadWat(GRPC, {}, {}, h2)).plugin;
  runOn(p2.httpStream(new RecordingStream()), 'unary');
  assert.equal(u32(p2, 0x80), 4);
});

test('a host whose httpCall throws answers INTERNAL_FAILURE; the VM stays usable', async () => {
  const host = testHost({
    httpCall() {
      throw new Error('host bug');
    },
  });
  const { plugin } = await loadWat(HTTP, {}, {}, host);
  poke(plugin, 0x800, GOOD);
  const s = plugin.httpStream(new RecordingStream());
  runOn(s, 'call', GOOD.length, 0);
  assert.equal(u32(plugin, 0x80), 10);
  assert.equal(plugin.usable(), true);
  assert.ok(host.logs.some(([l, m]) => l === 4 && m.includes('host bug')));
});
