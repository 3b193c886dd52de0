// The examples the demo uses, built by sdk/build.ts, run through the harness.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlugin } from '../harness/index.ts';
import { buildTargets, buildTarget } from '../build.ts';
import { REMORA_ROOT } from '../cli/compile.ts';

const addHeader = join(REMORA_ROOT, 'examples', 'add-header', 'build', 'add-header.wasm');

before(async () => {
  await buildTarget(buildTargets().find((t) => t.out === addHeader)!);
});

describe('examples/add-header', () => {
  it('is a small module: under 20 KB', () => {
    assert.ok(statSync(addHeader).size < 20 * 1024, `${statSync(addHeader).size} bytes`);
  });

  it('imports only proxy-wasm host functions from env (loads in Envoy)', async () => {
    const module = await WebAssembly.compile(await import('node:fs').then((fs) => fs.readFileSync(addHeader)));
    const imports = WebAssembly.Module.imports(module);
    assert.ok(imports.length > 0);
    for (const i of imports) {
      assert.equal(i.module, 'env', `${i.module}.${i.name}`);
      assert.match(i.name, /^proxy_/, i.name);
    }
    const exports = WebAssembly.Module.exports(module).map((e) => e.name);
    for (const name of ['proxy_abi_version_0_2_1', 'malloc', 'proxy_on_memory_allocate', '_initialize', 'proxy_on_context_create', 'proxy_on_request_headers', 'memory']) {
      assert.ok(exports.includes(name), name);
    }
  });

  it('adds the configured request and response headers', async () => {
    const h = await loadPlugin(addHeader, {
      rootId: 'add_header',
      config: { request: { 'x-request-tag': 'a' }, response: { 'x-powered-by': 'remora', 'x-other': 'b' } },
    });
    const s = await h.request({ request: { headers: { ':path': '/x', 'x-request-tag': 'client' } }, response: { headers: { 'x-powered-by': 'app' } } });
    assert.deepEqual(s.upstreamRequest!.headers.getAll('x-request-tag'), ['a']);
    assert.deepEqual(s.response.headers.getAll('x-powered-by'), ['remora']);
    assert.equal(s.response.headers.get('x-other'), 'b');
  });

  it('refuses a configuration that is not an object', async () => {
    await assert.rejects(loadPlugin(addHeader, { rootId: 'add_header', config: '"text"' }), /proxy_on_configure returned false/);
  });
});
