// The SDK's APIs, compiled into sdk/test/assembly/features.ts, run through the harness on abi/.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadPlugin, PluginStartError, type PluginHarness } from '../harness/index.ts';
import { buildTargets, buildTarget } from '../build.ts';

const wasm = join(import.meta.dirname, 'build', 'features.wasm');
const config = { greeting: 'hi there', queue: 'events' };

before(async () => {
  const target = buildTargets().find((t) => t.out === wasm)!;
  await buildTarget(target);
});

const load = (extra: Parameters<typeof loadPlugin>[1] = {}): Promise<PluginHarness> =>
  loadPlugin(wasm, { rootId: 'features', config, ...extra });

describe('SDK through the harness', () => {
  it('configures from JSON and logs through proxy_log', async () => {
    const h = await load();
    assert.ok(h.messages('info').includes('features: configured, greeting hi there'));
  });

  it('refuses a configuration that is not JSON, with the plugin log in the error', async () => {
    await assert.rejects(load({ config: '{"greeting": ' }), (e: unknown) => {
      assert.ok(e instanceof PluginStartError);
      assert.match(e.message, /proxy_on_configure returned false/);
      assert.ok(e.logs.some((l) => l.level === 'error' && /bad configuration: unexpected end of input at offset 13/.test(l.message)));
      return true;
    });
    await assert.rejects(load({ config: [1, 2] }), /proxy_on_configure returned false/);
  });

  it('selects the root context by rootId and refuses an unregistered one', async () => {
    const alt = await load({ rootId: 'features_alt', name: 'alt' });
    const s = await alt.request({ request: { headers: { ':path': '/props' } } });
    assert.equal(s.localReply!.headers.get('x-root-id'), 'features_alt');
    await assert.rejects(load({ rootId: 'nope' }), (e: unknown) => {
      assert.ok(e instanceof PluginStartError);
      assert.match(e.message, /proxy_on_vm_start returned false/);
      assert.ok(e.logs.some((l) => l.level === 'critical' && l.message.includes('no RootContext registered for root id "nope"')));
      return true;
    });
  });

  it('reads, sets, adds and removes request headers', async () => {
    const h = await load();
    const s = await h.request({ request: { headers: { ':path': '/headers', 'x-in': 'value', 'x-remove-me': 'bye' } } });
    const up = s.upstreamRequest!;
    assert.equal(up.headers.get('x-greeting'), 'hi there');
    assert.deepEqual(up.headers.getAll('x-multi'), ['one', 'two']);
    assert.equal(up.headers.has('x-remove-me'), false);
    assert.equal(up.headers.get('x-in-copy'), 'value');
    assert.equal(up.headers.get('x-has-absent'), 'no');
    // all() after the edits: 4 default pseudo-headers, x-in, x-greeting, 2 x-multi, x-in-copy, x-has-absent
    assert.equal(up.headers.get('x-count'), '10');
    assert.equal(s.response.status, 200);
    assert.equal(s.response.headers.get('x-plugin'), 'features');
    assert.equal(s.response.headers.get('x-seen-status'), '200');
  });

  it('keeps non-ASCII header values intact (UTF-8 both ways)', async () => {
    const h = await load();
    const s = await h.request({ request: { headers: { ':path': '/headers', 'x-in': 'héllo ✓' } } });
    assert.equal(s.upstreamRequest!.headers.get('x-in-copy'), 'héllo ✓');
  });

  it('sends a local reply, and runs its own response callbacks on it as Envoy does', async () => {
    const h = await load();
    const s = await h.request({ request: { headers: { ':path': '/reply' } } });
    assert.equal(s.upstreamRequest, undefined);
    assert.equal(s.localReply!.status, 403);
    assert.equal(s.localReply!.body, 'denied');
    assert.equal(s.localReply!.headers.get('x-reason'), 'test');
    assert.equal(s.localReply!.grpcStatus, undefined);
    assert.equal(s.response.status, 403);
    assert.equal(s.response.body.toString(), 'denied');
    assert.equal(s.response.headers.get('x-second'), '2');
    assert.equal(s.response.headers.get('x-plugin'), 'features');
    assert.equal(s.response.headers.get('x-seen-status'), '403');
  });

  it('replaces an upstream response with a local reply from onResponseHeaders', async () => {
    const h = await load();
    const s = await h.request({ request: { headers: { ':path': '/mask-errors' } }, response: { status: 500, body: 'stack trace' } });
    assert.ok(s.upstreamRequest);
    assert.equal(s.response.status, 502);
    assert.equal(s.response.body.toString(), 'upstream failed (500)');
    assert.equal(s.response.headers.get('x-plugin'), 'features'); // the reply went through the response path
    const fine = await h.request({ request: { headers: { ':path': '/mask-errors' } }, response: { status: 200, body: 'ok' } });
    assert.equal(fine.response.body.toString(), 'ok');
    assert.equal(fine.localReply, undefined);
  });

  it('makes an http call, pauses, and resumes with headers from the answer', async () => {
    const h = await load({ clusters: ['auth'] });
    const s = h.stream({ request: { headers: { ':path': '/call' } } });
    const done = s.run();
    assert.equal(s.paused, 'request');
    assert.equal(h.httpCalls.length, 1);
    const call = h.httpCalls[0]!;
    assert.equal(call.cluster, 'auth');
    assert.equal(call.headers.get(':method'), 'POST');
    assert.equal(call.headers.get(':path'), '/check');
    assert.equal(call.headers.get('x-original-path'), '/call');
    assert.equal(call.body.toString(), 'ping');
    assert.equal(call.timeoutMs, 2500);
    call.respond({ status: 200, headers: { 'x-user': 'alice' }, body: 'pong' });
    await done;
    assert.equal(s.upstreamRequest!.headers.get('x-user'), 'alice');
    assert.equal(s.upstreamRequest!.headers.get('x-auth-body'), 'pong');
    assert.equal(s.upstreamRequest!.headers.get('x-pending-calls'), '1');
    assert.deepEqual(s.continued, [0]);
    assert.equal(s.response.status, 200);
  });

  it('turns a refused or failed http call into a local reply', async () => {
    const h = await load();
    const denied = h.stream({ request: { headers: { ':path': '/call' } } });
    const d1 = denied.run();
    h.httpCalls[0]!.respond({ status: 401, body: 'nope' });
    await d1;
    assert.equal(denied.localReply!.status, 403);
    assert.equal(denied.localReply!.body, 'denied by auth: nope');
    assert.equal(denied.localReply!.headers.get('x-auth-status'), '401');
    assert.equal(denied.upstreamRequest, undefined);

    const failed = h.stream({ request: { headers: { ':path': '/call' } } });
    const d2 = failed.run();
    h.httpCalls[1]!.fail();
    await d2;
    assert.equal(failed.localReply!.status, 503);
    assert.equal(failed.localReply!.details, 'auth_failed');
  });

  it('makes a unary gRPC call and handles its reply and its error status', async () => {
    const h = await load({ clusters: ['auth'] });
    const ok = h.stream({ request: { headers: { ':path': '/grpc' } } });
    const d1 = ok.run();
    assert.equal(ok.paused, 'request');
    const call = h.grpcCalls[0]!;
    assert.equal(call.cluster, 'auth');
    assert.equal(call.service, 'auth.v1.Checker');
    assert.equal(call.method, 'Check');
    assert.equal(call.initialMetadata.get('x-md'), '1');
    assert.equal(call.message.toString(), 'request-bytes');
    assert.equal(call.timeoutMs, 1500);
    call.respond('reply-bytes');
    await d1;
    assert.equal(ok.upstreamRequest!.headers.get('x-grpc-reply'), 'reply-bytes');

    const denied = h.stream({ request: { headers: { ':path': '/grpc' } } });
    const d2 = denied.run();
    h.grpcCalls[1]!.fail(7, 'permission denied');
    await d2;
    assert.equal(denied.localReply!.status, 403);
    assert.equal(denied.localReply!.body, 'grpc 7: permission denied');
    assert.equal(denied.localReply!.grpcStatus, 7);

    const h2 = await load({ clusters: ['other'] });
    const unknown = await h2.request({ request: { headers: { ':path': '/grpc' } } });
    assert.equal(unknown.localReply!.body, 'grpc call failed to start: 4');
  });

  it('reports BadArgument for an unknown cluster', async () => {
    const h = await load({ clusters: ['auth'] });
    const s = await h.request({ request: { headers: { ':path': '/call-unknown-cluster' } } });
    assert.equal(s.localReply!.body, 'status 2');
    assert.equal(h.httpCalls.length, 0);
  });

  it('buffers a streamed request body, rewrites it, and edits the response body', async () => {
    const h = await load();
    const s = await h.request({
      request: { headers: { ':path': '/body', ':method': 'POST' }, body: ['hello ', 'wasm ', 'world'] },
      response: (req) => ({ status: 201, headers: { 'content-length': String(req.body.length) }, body: `echo:${req.body}` }),
    });
    assert.equal(s.upstreamRequest!.body.toString(), 'HELLO WASM WORLD');
    assert.deepEqual(s.actions.filter((a) => a.callback === 'requestBody').map((a) => a.action), ['buffer', 'buffer', 'continue']);
    assert.equal(s.response.status, 201);
    assert.equal(s.response.headers.has('content-length'), false);
    assert.equal(s.response.body.toString(), '[plugin] echo:HELLO WASM WORLD [seen]');
    assert.equal(h.metric('sdk_test_body_bytes')!.count, 1);
    assert.equal(h.metric('sdk_test_body_bytes')!.sum, 16);
    assert.deepEqual(h.messages('error'), []);
  });

  it('sees and edits trailers', async () => {
    const h = await load();
    const s = await h.request({
      request: { headers: { ':path': '/t' }, body: 'x', trailers: { 'x-checksum': 'abc' } },
      response: { body: 'y', trailers: { 'grpc-status': '0' } },
    });
    assert.equal(s.upstreamRequest!.trailers.get('x-checksum-seen'), 'abc');
    assert.equal(s.response.trailers.get('x-trailer-seen'), '1');
  });

  it('creates trailers from the last body callback when the message had none', async () => {
    const h = await load();
    const s = await h.request({
      request: { headers: { ':path': '/add-trailers', ':method': 'POST' }, body: ['ab', 'cd'] },
      response: { body: ['hello', ' world'] },
    });
    // Not buffered, so each body callback sees its chunk: the last ones are 'cd' and ' world'.
    assert.equal(s.upstreamRequest!.trailers.get('x-request-size'), '2');
    assert.equal(s.response.trailers.get('x-body-size'), '6');
    assert.equal(s.response.body.toString(), 'hello world');
  });

  it('calls the host foreign functions Remora offers; unknown names are NotFound, a throwing one InternalFailure', async () => {
    const h = await load();
    const s = await h.request({ request: { headers: { ':path': '/foreign' } } });
    assert.equal(s.response.body.toString(), 'hello hello hello hello hello hello', 'compress then uncompress gives the text back');
    const [status, size] = s.response.headers.get('x-compress')!.split(' ').map(Number);
    assert.equal(status, 0);
    assert.ok(size! > 0 && size! < 35, `zlib packs the repeated text (${size} bytes)`);
    assert.equal(s.response.headers.get('x-uncompress'), '0');
    assert.equal(s.response.headers.get('x-missing'), '1 0', 'NotFound (1), no data');
    // A test can stand in for the host's functions.
    const custom = await load({
      foreignFunction: (name, args) => {
        if (name === 'uncompress') throw new Error('broken');
        return name === 'compress' ? Buffer.from(`packed:${Buffer.from(args).length}`) : undefined;
      },
    });
    const c = await custom.request({ request: { headers: { ':path': '/foreign' } } });
    assert.equal(c.response.headers.get('x-compress'), '0 9', '"packed:35" from the test function');
    assert.equal(c.response.headers.get('x-uncompress'), '10', 'InternalFailure');
    assert.equal(c.response.body.toString(), '', 'no data with a failure');
  });

  it('increments shared data with CAS, visible to the test and to another VM of the same vmId', async () => {
    const h = await load();
    h.setShared('counter', '41');
    const s = await h.request({ request: { headers: { ':path': '/shared' } } });
    assert.equal(s.upstreamRequest!.headers.get('x-counter'), '42');
    const other = await load({ vmId: h.vmId, config: { greeting: 'second VM' } });
    const s2 = await other.request({ request: { headers: { ':path': '/shared' } } });
    assert.equal(s2.upstreamRequest!.headers.get('x-counter'), '43');
    assert.equal(h.getShared('counter')!.text, '43');
  });

  it('reports CAS mismatch for a stale CAS and succeeds with the current one', async () => {
    const h = await load();
    h.setShared('cas-key', 'original');
    const current = h.getShared('cas-key')!.cas;
    h.setShared('cas-key', 'changed'); // bumps the CAS: `current` is now stale
    const stale = await h.request({ request: { headers: { ':path': '/cas', 'x-cas': String(current) } } });
    assert.equal(stale.localReply!.headers.get('x-result'), 'mismatch');
    assert.equal(stale.localReply!.body, 'changed');
    assert.equal(stale.localReply!.headers.get('x-absent'), 'null');
    const fresh = await h.request({ request: { headers: { ':path': '/cas', 'x-cas': String(h.getShared('cas-key')!.cas) } } });
    assert.equal(fresh.localReply!.headers.get('x-result'), 'ok');
    assert.equal(h.getShared('cas-key')!.text, 'written');
  });

  it('registers, resolves, enqueues and dequeues a shared queue with onQueueReady', async () => {
    const h = await load();
    const s = await h.request({ request: { headers: { ':path': '/queue' } } });
    assert.equal(s.localReply!.status, 202);
    assert.equal(s.localReply!.headers.get('x-unknown-queue'), '0');
    h.enqueue('events', 'from-test');
    await h.settle();
    assert.ok(h.messages('info').includes('features: queue item from-stream'));
    assert.ok(h.messages('info').includes('features: queue item from-test'));
    assert.equal(h.dequeue('events'), null);
  });

  it('sets a tick period and runs onTick', async () => {
    const h = await load({ config: { ...config, tickMs: 250 } });
    assert.equal(h.tickPeriodMs, 250);
    h.tick();
    h.tick();
    assert.equal(h.metric('sdk_test_ticks_total')!.value >= 2, true);
    assert.equal(h.messages('debug').filter((m) => m === 'features: tick').length, 2);
    assert.deepEqual(h.messages('error'), []);
  });

  it('resumes a paused request from onTick (effective context switched to the stream)', async () => {
    const h = await load();
    const s = h.stream({ request: { headers: { ':path': '/postpone' } } });
    const done = s.run();
    assert.equal(s.paused, 'request');
    assert.equal(s.upstreamRequest, undefined);
    h.tick();
    await done;
    assert.equal(s.upstreamRequest!.headers.get(':path'), '/postpone');
    assert.equal(s.response.status, 200);
  });

  it('makes an http call from the root context (onTick) and gets the answer there', async () => {
    const h = await load({ config: { ...config, tickCall: true }, clusters: ['auth'] });
    h.tick();
    assert.equal(h.httpCalls.length, 1);
    assert.equal(h.httpCalls[0]!.headers.get(':path'), '/token');
    assert.equal(h.httpCalls[0]!.timeoutMs, 0);
    h.httpCalls[0]!.respond({ body: 'abc123' });
    assert.equal(h.getShared('token')!.text, 'root:abc123');
  });

  it('resets the stream with closeStream', async () => {
    const h = await load();
    const s = await h.request({ request: { headers: { ':path': '/close' } } });
    assert.deepEqual(s.closed, [0]);
    assert.equal(s.upstreamRequest, undefined);
    assert.equal(s.finished, true);
  });

  it('filters a TCP connection: holds partial lines, rewrites both directions, closes on request', async () => {
    const h = await load();
    const c = h.connection();
    assert.equal(c.open(), 'continue');
    assert.equal(c.fromClient('hel'), 'stop');
    assert.equal(c.toUpstream.length, 0);
    assert.equal(c.fromClient('lo\n'), 'continue');
    assert.equal(c.toUpstream.toString(), 'HELLO\n');
    assert.equal(c.fromUpstream('hi'), 'continue');
    assert.equal(c.toClient.toString(), '> hi');
    assert.equal(c.fromClient('quit\n'), 'stop');
    assert.deepEqual(c.closed, [2]);
    c.clientClosed();
    c.upstreamClosed();
    c.finish();
    assert.ok(h.messages('info').includes('features: client closed, peer 2'));
    assert.ok(h.messages('info').includes('features: upstream closed, peer 0'));
    assert.ok(h.messages('info').includes('features: connection done'));
    assert.ok(h.metric('sdk_test_connections_total')!.value >= 1);
    // HTTP streams of the same plugin are unaffected.
    const s = await h.request({ request: { headers: { ':path': '/headers' } } });
    assert.equal(s.upstreamRequest!.headers.get('x-greeting'), 'hi there');
  });

  it('defines counters, gauges and histograms', async () => {
    const h = await load();
    // Metrics are process-wide cells (as Envoy's stats): measure the difference.
    await h.request({ request: { headers: { ':path': '/headers' } } });
    const before = h.metric('sdk_test_requests_total')!.value;
    await h.request({ request: { headers: { ':path': '/headers' } } });
    await h.request({ request: { headers: { ':path': '/reply' } } });
    assert.equal(h.metric('sdk_test_requests_total')!.value - before, 2);
    assert.equal(h.metric('sdk_test_requests_total')!.type, 'counter');
    assert.equal(h.metric('sdk_test_active_streams')!.type, 'gauge');
    const open = h.stream({ request: { headers: { ':path': '/headers' } } });
    const during = h.metric('sdk_test_active_streams')!.value;
    await open.run();
    assert.equal(h.metric('sdk_test_active_streams')!.value, during - 1);
  });

  it('reads typed properties and filter state', async () => {
    const h = await load({ name: 'props-plugin' });
    const s = await h.request({
      request: { headers: { ':path': '/props', 'x-a': '1', 'x-b': '2' } },
      properties: { 'test.flag': true, 'source.port': { type: 'int', value: 40123 } },
    });
    const r = s.localReply!.headers;
    assert.equal(r.get('x-path'), '/props');
    assert.equal(r.get('x-port'), '40123');
    assert.equal(r.get('x-flag'), 'true');
    assert.equal(r.get('x-missing'), 'null');
    assert.equal(r.get('x-header-count'), '2');
    assert.equal(r.get('x-plugin-name'), 'props-plugin');
    assert.equal(r.get('x-root-id'), 'features');
    assert.equal(r.get('x-state'), 'kept');
    assert.equal(r.get('x-time-ok'), 'yes');
  });

  it('logs at every level and reads the host level', async () => {
    const h = await load({ logLevel: 'warn' });
    const s = await h.request({ request: { headers: { ':path': '/log-levels' } } });
    assert.equal(s.localReply!.body, 'level 3');
    for (const [level, msg] of [['trace', 't'], ['debug', 'd'], ['info', 'i'], ['warn', 'w'], ['error', 'e'], ['critical', 'c']] as const) {
      assert.ok(h.messages(level).includes(msg), `${level} logged`);
    }
  });

  it('parses JSON: nesting, escapes, numbers, and reports errors with offsets', async () => {
    const h = await load();
    const post = (body: string) => h.request({ request: { headers: { ':path': '/json', ':method': 'POST' }, body } });
    const ok = await post('{"a": [1, -2, 3.5, 1e3, -0.25e-2], "s": "q\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00", "t": true, "f": false, "n": null, "o": {}}');
    assert.equal(ok.localReply!.status, 200);
    assert.equal(ok.localReply!.body, '{a=[int:1,int:-2,num:3.5,num:1000.0,num:-0.0025],s=str:q"\\/\né😀,t=true,f=false,n=null,o={}}');
    const big = await post('[123456789012345678, 9007199254740993]');
    assert.equal(big.localReply!.body, '[int:123456789012345678,int:9007199254740993]');
    for (const [text, error] of [
      ['{"a": }', 'unexpected character at offset 6'],
      ['[1, 2', "expected ',' or ']' at offset 5"],
      ['{"a" 1}', "expected ':' at offset 5"],
      ['01', 'leading zero at offset 2'],
      ['"abc', 'unterminated string at offset 4'],
      ['{} x', 'unexpected trailing characters at offset 3'],
      ['"\\x"', 'bad escape at offset 2'],
      ['1.', "expected a digit after '.' at offset 2"],
    ]) {
      const r = await post(text!);
      assert.equal(r.localReply!.status, 400, text);
      assert.equal(r.localReply!.body, `error: ${error}`, text);
    }
  });

  it('a trap fails the VM with the abort reason logged, and the harness reports it', async () => {
    const h = await load();
    const s = await h.request({ request: { headers: { ':path': '/trap' } } });
    assert.equal(s.failed, true);
    assert.equal(h.failed, true);
    assert.ok(h.messages('critical').some((m) => /^abort: Index out of range at ~lib\/array\.ts:\d+:\d+$/.test(m)), h.messages().join('\n'));
    assert.throws(() => h.stream(), /is not usable/);
  });

  it('keeps memory bounded over many requests (GC at callback ends)', async () => {
    const h = await load();
    for (let i = 0; i < 300; i++) await h.request({ request: { headers: { ':path': '/headers', 'x-in': 'x'.repeat(2000) } } });
    const first = h.plugin.state().memoryBytes;
    for (let i = 0; i < 600; i++) await h.request({ request: { headers: { ':path': '/headers', 'x-in': 'x'.repeat(2000) } } });
    assert.equal(h.plugin.state().memoryBytes, first);
  });
});
