import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWat, outBytes, poke, RecordingStream, runOn, testHost, u32 } from './harness.ts';
import { encodeProperty, prop } from '../hostcalls/property-encoding.ts';
import { parsePairs } from '../memory/pairs.ts';

// Path bytes are poked at 0x800 by the test; value "filter-value" at 0x400.
const P = `
  (data (i32.const 0x400) "filter-value")
  (func (export "get") (param $len i32)
    (i32.store (i32.const 0x80) (call $proxy_get_property (i32.const 0x800) (local.get $len) (i32.const 0x100) (i32.const 0x104))))
  (func (export "set") (param $len i32)
    (i32.store (i32.const 0x80) (call $proxy_set_property (i32.const 0x800) (local.get $len) (i32.const 0x400) (i32.const 12))))
  (func (export "proxy_on_context_create") (param $c i32) (param $p i32)
    (if (i32.eqz (local.get $p)) (then
      (i32.store (i32.const 0x90) (call $proxy_get_property (i32.const 0x700) (i32.const 14) (i32.const 0x94) (i32.const 0x98))))))
  (data (i32.const 0x700) "plugin_root_id")`;

test('Envoy encodings: strings raw, int/uint/duration/timestamp 8-byte LE, bool 1 byte, double, maps and lists as pairs', () => {
  assert.deepEqual(Buffer.from(encodeProperty('abc')), Buffer.from('abc'));
  assert.deepEqual(Buffer.from(encodeProperty(prop.int(200))), Buffer.from('c800000000000000', 'hex'));
  assert.deepEqual(Buffer.from(encodeProperty(prop.int(-1))), Buffer.from('ffffffffffffffff', 'hex'));
  assert.deepEqual(Buffer.from(encodeProperty(prop.uint(2n ** 63n))), Buffer.from('0000000000000080', 'hex'));
  assert.deepEqual(Buffer.from(encodeProperty(true)), Buffer.from([1]));
  assert.deepEqual(Buffer.from(encodeProperty(false)), Buffer.from([0]));
  assert.equal(Buffer.from(encodeProperty(prop.double(1.5))).readDoubleLE(0), 1.5);
  assert.equal(Buffer.from(encodeProperty(prop.duration(1_500_000_000n))).readBigInt64LE(0), 1_500_000_000n);
  assert.equal(Buffer.from(encodeProperty(prop.timestamp(1_700_000_000_000_000_000n))).readBigInt64LE(0), 1_700_000_000_000_000_000n);
  assert.deepEqual(parsePairs(encodeProperty(prop.map([['k', 'v'], ['é', 'ü']])), 0, undefined, 'utf8'), [['k', 'v'], ['é', 'ü']]);
  assert.deepEqual(parsePairs(encodeProperty(prop.list(['a', 'b']))), [['a', ''], ['b', '']]);
});

test('get_property: plugin built-ins (also during root on_context_create), stream attributes, root attributes, NOT_FOUND', async () => {
  const host = testHost({ property: (p) => (p.join('.') === 'xds.node.id' ? 'sidecar~1' : undefined) });
  const { plugin } = await loadWat(P, {}, { name: 'props', rootId: 'my_root', vmId: 'props-vm' }, host);
  assert.equal(u32(plugin, 0x90), 0);
  assert.equal(outBytes(plugin, 0x94, 0x98).toString(), 'my_root');
  const sh = new RecordingStream();
  sh.props.set('request.path', '/a?b=1');
  sh.props.set('response.code', prop.int(503));
  sh.props.set('connection.mtls', false);
  const s = plugin.httpStream(sh);
  const get = (path: string | Buffer) => {
    const b = typeof path === 'string' ? Buffer.from(path.replaceAll('.', '\0')) : path;
    poke(plugin, 0x800, b);
    runOn(s, 'get', b.length);
    return [u32(plugin, 0x80), u32(plugin, 0x80) === 0 ? outBytes(plugin, 0x100, 0x104) : null] as const;
  };
  assert.deepEqual(get('plugin_name'), [0, Buffer.from('props')]);
  assert.deepEqual(get('plugin_vm_id'), [0, Buffer.from('props-vm')]);
  assert.deepEqual(get('request.path'), [0, Buffer.from('/a?b=1')]);
  assert.deepEqual(get(Buffer.from('request\0path\0')), [0, Buffer.from('/a?b=1')], 'trailing NUL tolerated');
  assert.deepEqual(get('response.code'), [0, Buffer.from('f701000000000000', 'hex')]);
  assert.deepEqual(get('connection.mtls'), [0, Buffer.from([0])]);
  assert.deepEqual(get('xds.node.id'), [0, Buffer.from('sidecar~1')]);
  assert.deepEqual(get('request.nope'), [1, null]);
});

test('set_property stores filter state on the stream, readable by later get_property; outside a stream NOT_FOUND', async () => {
  const { plugin } = await loadWat(P);
  const s = plugin.httpStream(new RecordingStream());
  poke(plugin, 0x800, 'my_key');
  runOn(s, 'set', 6);
  assert.equal(u32(plugin, 0x80), 0);
  runOn(s, 'get', 6);
  assert.equal(u32(plugin, 0x80), 0);
  assert.equal(outBytes(plugin, 0x100, 0x104).toString(), 'filter-value');
  const other = plugin.httpStream(new RecordingStream());
  runOn(other, 'get', 6);
  assert.equal(u32(plugin, 0x80), 1, 'filter state is per stream');
  // from the root context (no stream): Envoy answers NOT_FOUND
  const root = [...plugin.vm.contexts.values()].find((c) => c.kind === 'root')!;
  plugin.vm.invoke(root, 'set', plugin.vm.exports.set!, 6);
  assert.equal(u32(plugin, 0x80), 1);
  runOn(s, 'get', 0xfffffff);
  assert.equal(u32(plugin, 0x80), 6, 'path outside memory');
});
