import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileWat, pluginWat } from './wat.ts';
import { loadWat, testHost, u32, uniqueVmId } from './harness.ts';
import { loadPlugin, PluginLoadError, VmRegistry } from '../plugin.ts';

// Appends an event code to a list at 0x200 (count at 0x1fc).
const EVENTS = `
  (func $ev (param $code i32)
    (i32.store (i32.add (i32.const 0x200) (i32.mul (i32.load (i32.const 0x1fc)) (i32.const 4))) (local.get $code))
    (i32.store (i32.const 0x1fc) (i32.add (i32.load (i32.const 0x1fc)) (i32.const 1))))`;

function events(plugin: { vm: { mem: { u32(a: number): number | null } } }): number[] {
  const n = plugin.vm.mem.u32(0x1fc)!;
  return Array.from({ length: n }, (_, i) => plugin.vm.mem.u32(0x200 + i * 4)!);
}

test('detects ABI 0.1.0, 0.2.0 and 0.2.1 from the marker export', async () => {
  for (const [marker, version] of [['0_1_0', '0.1.0'], ['0_2_0', '0.2.0'], ['0_2_1', '0.2.1']] as const) {
    const { plugin } = await loadWat('', { abi: marker });
    assert.equal(plugin.abiVersion, version);
    assert.equal(plugin.state().abiVersion, version);
  }
});

test('refuses an unknown ABI version and a module without marker, naming the plugin', async () => {
  await assert.rejects(loadWat('', { abi: '0_3_0' }, { name: 'future' }), (e: Error) => {
    assert.ok(e instanceof PluginLoadError);
    assert.match(e.message, /plugin future: unsupported proxy-wasm ABI version \(export proxy_abi_version_0_3_0\)/);
    return true;
  });
  await assert.rejects(loadWat('', { abi: null }, { name: 'nomarker' }), /plugin nomarker: missing or unknown proxy-wasm ABI version/);
  await assert.rejects(
    loadPlugin({ name: 'junk', code: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }, testHost(), new VmRegistry()),
    /plugin junk: not a WebAssembly binary/,
  );
});

test('registers only the imports of the detected ABI version', async () => {
  const use010 = `(func (export "x") (drop (call $proxy_continue_request)))`;
  const use02 = `(func (export "x") (drop (call $proxy_continue_stream (i32.const 0))))`;
  const useLevel = `(func (export "x") (drop (call $proxy_get_log_level (i32.const 0))))`;
  await assert.rejects(loadWat(use010, { abi: '0_2_1' }), /missing import env\.proxy_continue_request .*0\.2\.1/);
  await assert.rejects(loadWat(use02, { abi: '0_1_0' }), /missing import env\.proxy_continue_stream/);
  await assert.rejects(loadWat(useLevel, { abi: '0_2_0' }), /missing import env\.proxy_get_log_level/);
  await loadWat(use010, { abi: '0_1_0' });
  await loadWat(use02, { abi: '0_2_0' });
  await loadWat(useLevel, { abi: '0_2_1' });
});

test('checks callback signatures per ABI: headers take 2 params in 0.1.0 and 3 in 0.2.x', async () => {
  const two = `(func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))`;
  const three = `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))`;
  await loadWat(two, { abi: '0_1_0' });
  await loadWat(three, { abi: '0_2_1' });
  await assert.rejects(loadWat(two, { abi: '0_2_1' }), /bad function signature for export proxy_on_request_headers/);
  await assert.rejects(loadWat(three, { abi: '0_1_0' }), /bad function signature for export proxy_on_request_headers/);
});

test('start sequence: _initialize, main(0,0), then context_create(root,0) -> vm_start(root,size) -> configure(root,size)', async () => {
  const body = `${EVENTS}
  (func (export "_initialize") (call $ev (i32.const 1)))
  (func (export "main") (param i32 i32) (result i32) (call $ev (i32.const 2)) (i32.const 0))
  (func (export "_start") (call $ev (i32.const 99)))
  (func (export "proxy_on_context_create") (param $c i32) (param $p i32)
    (call $ev (i32.const 3)) (call $ev (local.get $c)) (call $ev (local.get $p)))
  (func (export "proxy_on_vm_start") (param $r i32) (param $n i32) (result i32)
    (call $ev (i32.const 4)) (call $ev (local.get $r)) (call $ev (local.get $n)) (i32.const 1))
  (func (export "proxy_on_configure") (param $r i32) (param $n i32) (result i32)
    (call $ev (i32.const 5)) (call $ev (local.get $r)) (call $ev (local.get $n)) (i32.const 1))`;
  const { plugin } = await loadWat(body, {}, { vmConfig: 'abc', config: '{"k":1}' });
  assert.deepEqual(events(plugin), [1, 2, 3, 1, 0, 4, 1, 3, 5, 1, 7]);
});

test('_start runs when there is no _initialize; __main_void when there is no main', async () => {
  const a = await loadWat(`${EVENTS}(func (export "_start") (call $ev (i32.const 7)))`);
  assert.deepEqual(events(a.plugin), [7]);
  const b = await loadWat(`${EVENTS}
    (func (export "_initialize") (call $ev (i32.const 1)))
    (func (export "__main_void") (result i32) (call $ev (i32.const 8)) (i32.const 0))`);
  assert.deepEqual(events(b.plugin), [1, 8]);
});

test('on_vm_start or on_configure returning false fails the load with the plugin name, and is logged', async () => {
  const host = testHost();
  await assert.rejects(
    loadWat(`(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 0))`, {}, { name: 'vmstart' }, host),
    /plugin vmstart: proxy_on_vm_start returned false/,
  );
  assert.ok(host.logs.some(([l, m]) => l === 4 && /vmstart failed to start/.test(m)));
  await assert.rejects(
    loadWat(`(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 0))`, {}, { name: 'cfg' }),
    /plugin cfg: proxy_on_configure returned false/,
  );
  await assert.rejects(
    loadWat(`(func (export "proxy_on_configure") (param i32 i32) (result i32) unreachable)`, {}, { name: 'trapcfg' }),
    /plugin trapcfg: proxy_on_configure failed: proxy_on_configure: RuntimeError: unreachable/,
  );
  await assert.rejects(loadWat(`(func (export "_initialize") unreachable)`, {}, { name: 'init' }), /plugin init: module start failed/);
});

test('configuration buffers: VM config (6) in on_vm_start and plugin config (7) in on_configure', async () => {
  // Copies buffer 6 / 7 pointer+size to 0x100/0x104 and 0x108/0x10c; statuses to 0x110 / 0x114,
  // and the status of reading buffer 7 during on_vm_start (not available) to 0x118.
  const body = `
  (func (export "proxy_on_vm_start") (param $r i32) (param $n i32) (result i32)
    (i32.store (i32.const 0x110) (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 0) (local.get $n) (i32.const 0x100) (i32.const 0x104)))
    (i32.store (i32.const 0x118) (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (i32.const 100) (i32.const 0x120) (i32.const 0x124)))
    (i32.const 1))
  (func (export "proxy_on_configure") (param $r i32) (param $n i32) (result i32)
    (i32.store (i32.const 0x114) (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (i32.const -1) (i32.const 0x108) (i32.const 0x10c)))
    (i32.const 1))`;
  const { plugin } = await loadWat(body, {}, { vmConfig: 'vm-cfg', config: 'plugin-config' });
  const mem = plugin.vm.mem;
  assert.equal(u32(plugin, 0x110), 0);
  assert.equal(u32(plugin, 0x114), 0);
  assert.equal(u32(plugin, 0x118), 1);
  assert.equal(mem.string(u32(plugin, 0x100), u32(plugin, 0x104)), 'vm-cfg');
  assert.equal(mem.string(u32(plugin, 0x108), u32(plugin, 0x10c)), 'plugin-config');
});

test('0.1.0 proxy_get_configuration returns VM config in on_vm_start and plugin config in on_configure', async () => {
  const body = `
  (func (export "proxy_on_vm_start") (param $r i32) (param $n i32) (result i32)
    (drop (call $proxy_get_configuration (i32.const 0x100) (i32.const 0x104))) (i32.const 1))
  (func (export "proxy_on_configure") (param $r i32) (param $n i32) (result i32)
    (drop (call $proxy_get_configuration (i32.const 0x108) (i32.const 0x10c))) (i32.const 1))`;
  const { plugin } = await loadWat(body, { abi: '0_1_0' }, { vmConfig: 'V', config: 'PC' });
  assert.equal(plugin.vm.mem.string(u32(plugin, 0x100), u32(plugin, 0x104)), 'V');
  assert.equal(plugin.vm.mem.string(u32(plugin, 0x108), u32(plugin, 0x10c)), 'PC');
});

test('VMs are shared by key (code + vmId + vmConfig); each plugin gets its own announced root context', async () => {
  const body = `${EVENTS}
  (func (export "proxy_on_context_create") (param $c i32) (param $p i32) (call $ev (local.get $c)))
  (func (export "proxy_on_vm_start") (param $r i32) (param $n i32) (result i32) (call $ev (i32.add (i32.const 100) (local.get $r))) (i32.const 1))`;
  const code = await compileWat(pluginWat(body));
  const registry = new VmRegistry();
  const vmId = uniqueVmId();
  const a = await loadPlugin({ name: 'a', code, vmId, config: 'x' }, testHost(), registry);
  const b = await loadPlugin({ name: 'b', code, vmId, config: 'y' }, testHost(), registry);
  const c = await loadPlugin({ name: 'c', code, vmId, vmConfig: 'other' }, testHost(), registry);
  assert.equal(a.vm, b.vm);
  assert.notEqual(a.vm, c.vm);
  assert.equal(a.state().vmKey, b.state().vmKey);
  assert.deepEqual(events(a), [1, 101, 2, 102]);
  assert.deepEqual(events(c), [1, 101]);
  assert.equal(registry.size, 2);
  a.stop();
  assert.equal(registry.size, 2, 'b still uses the shared VM');
  b.stop();
  c.stop();
  assert.equal(registry.size, 0);
});

test('refuses a module without allocator, without memory, or whose initial memory exceeds the cap', async () => {
  await assert.rejects(loadWat('', { allocator: 'none' }), /exports no allocator/);
  await assert.rejects(loadWat('', { pages: 20 }, { maxMemoryBytes: 10 * 65536 }), /initial memory, over the cap/);
  const noMem = `(module (func (export "proxy_abi_version_0_2_1")) (func (export "malloc") (param i32) (result i32) (i32.const 0)))`;
  await assert.rejects(loadPlugin({ name: 'nomem', code: await compileWat(noMem) }, testHost(), new VmRegistry()), /neither exports nor imports a memory/);
});

test('uses proxy_on_memory_allocate when there is no malloc', async () => {
  const body = `(func (export "proxy_on_configure") (param $r i32) (param $n i32) (result i32)
    (drop (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (local.get $n) (i32.const 0x100) (i32.const 0x104))) (i32.const 1))`;
  const { plugin } = await loadWat(body, { allocator: 'proxy_on_memory_allocate' }, { config: 'hello' });
  assert.equal(u32(plugin, 0x100), 32768);
  assert.equal(plugin.vm.mem.string(u32(plugin, 0x100), 5), 'hello');
});

test('a module that imports its memory gets one capped at maxMemoryBytes', async () => {
  const text = `(module
    (import "env" "memory" (memory 1))
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "malloc") (param i32) (result i32) (i32.const 1024))
    (func (export "grow") (param $n i32) (result i32) (memory.grow (local.get $n))))`;
  const code = await compileWat(text);
  const plugin = await loadPlugin({ name: 'imp', code, maxMemoryBytes: 4 * 65536 }, testHost(), new VmRegistry());
  const grow = plugin.vm.exports.grow!;
  assert.equal(grow(2), 1);
  assert.equal(grow(5), -1, 'growth past the cap fails');
  await assert.rejects(
    loadPlugin({ name: 'big', code: await compileWat(text.replace('(memory 1)', '(memory 9)')), maxMemoryBytes: 4 * 65536 }, testHost(), new VmRegistry()),
    /imports a memory of .* over the cap/,
  );
});

test('proc_exit(0) ending _start is a normal end of a WASI command; a non-zero exit fails the load', async () => {
  const ok = await loadWat(`${EVENTS}
    (func (export "_start") (call $ev (i32.const 5)) (call $proc_exit (i32.const 0)) unreachable)
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (call $ev (i32.const 6)) (i32.const 1))`);
  assert.deepEqual(events(ok.plugin), [5, 6]);
  assert.equal(ok.plugin.usable(), true);
  await assert.rejects(
    loadWat(`(func (export "_start") (call $proc_exit (i32.const 3)) unreachable)`, {}, { name: 'exit3' }),
    /plugin exit3: module start failed: _start: plugin called proc_exit\(3\)/,
  );
});
