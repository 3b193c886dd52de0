// Real AssemblyScript plugins built against @solo-io/proxy-runtime (test/fixtures/build, made by
// `npm run build`), run through the host with a recording StreamHost: no sockets involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPlugin, VmRegistry } from '../plugin.ts';
import { RecordingStream, testHost, uniqueVmId } from './harness.ts';
import { StreamAction } from '../types.ts';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../test/fixtures/build/${name}.wasm`, import.meta.url)));

test('AssemblyScript headers plugin: root id dispatch, configuration, header reads and edits in both directions', async () => {
  const plugin = await loadPlugin(
    { name: 'as-headers', code: fixture('headers'), rootId: 'headers', config: 'main', vmId: uniqueVmId() },
    testHost(),
    new VmRegistry(),
  );
  assert.equal(plugin.abiVersion, '0.2.0', 'proxy-runtime 0.1.8 marks 0.2.0');
  const s = plugin.httpStream(new RecordingStream());
  const req: Array<[string, string]> = [
    [':method', 'GET'], [':path', '/rewrite/x'], [':authority', 'svc'], [':scheme', 'http'],
    ['x-replace-me', 'old'], ['x-remove-me', '1'],
  ];
  assert.equal(s.onRequestHeaders(req, true), StreamAction.Continue);
  const get = (m: Array<[string, string]>, k: string) => m.filter(([n]) => n === k).map(([, v]) => v);
  assert.deepEqual(get(req, 'x-chain'), ['main']);
  assert.deepEqual(get(req, 'x-pseudo'), ['GET /rewrite/x svc http']);
  assert.deepEqual(get(req, 'x-replace-me'), ['replaced']);
  assert.deepEqual(get(req, 'x-remove-me'), []);
  assert.deepEqual(get(req, ':path'), ['/rewritten/x']);
  assert.deepEqual(get(req, 'x-seen-names'), [':method,:path,:authority,:scheme,x-replace-me,x-remove-me,x-chain']);
  const res: Array<[string, string]> = [[':status', '201'], ['content-type', 'text/plain']];
  assert.equal(s.onResponseHeaders(res, false), StreamAction.Continue);
  assert.deepEqual(get(res, ':status'), ['202']);
  assert.deepEqual(get(res, 'content-type'), []);
  assert.deepEqual(get(res, 'x-status-seen'), ['201']);
  assert.deepEqual(get(res, 'x-request-pairs'), ['7']);
  s.finish();
  assert.equal(plugin.state().state, 'running');
});

test('AssemblyScript trap fixture: abort (proc_exit) and unreachable fail the VM and are reported, never thrown', async () => {
  for (const mode of ['abort', 'unreachable']) {
    const host = testHost();
    const plugin = await loadPlugin({ name: 'as-trap', code: fixture('trap'), rootId: 'trap', config: 'x', vmId: uniqueVmId() }, host, new VmRegistry());
    const s = plugin.httpStream(new RecordingStream());
    const req = (trap?: string): Array<[string, string]> => [[':method', 'GET'], [':path', '/'], [':authority', 'a'], ...(trap ? [['x-trap', trap] as [string, string]] : [])];
    assert.equal(s.onRequestHeaders(req(), true), StreamAction.Continue);
    assert.equal(s.onRequestHeaders(req(mode), true), StreamAction.Failed, mode);
    assert.equal(plugin.state().state, 'failed');
    assert.equal(plugin.state().traps, 1);
    assert.ok(host.logs.some(([l, m]) => l === 4 && m.includes('wasm VM failed')));
  }
});
