// proxy-runtime trap fixture through a real Remora: an AssemblyScript abort (the SDK's handler
// logs and calls WASI proc_exit) or a Wasm `unreachable` fails that plugin's VM only; the route
// then follows its failStrategy and the proxy keeps serving everything else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupList, startRemora, type RemoraProcess } from '../support/remora.ts';
import { startHttp1Upstream, type EchoReply, type HttpUpstream } from '../support/upstreams.ts';
import { admin, eventually, httpRequest, json } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { header, plugin, pluginState, samples } from './support.ts';

describe('proxy-runtime trap plugin and fail strategies', () => {
  const cleanup = cleanupList();
  let upstream: HttpUpstream;
  let remora: RemoraProcess;
  let port: number;

  before(async () => {
    upstream = await startHttp1Upstream({ name: 'app' });
    cleanup.after(() => upstream.close());
    const route = (name: string, plugins: string[]) => ({ name, match: { pathPrefix: `/${name}` }, cluster: 'app', plugins });
    remora = await startRemora(cleanup, proxyConfig({
      routes: [
        route('closed', ['trap-close']),
        route('unreachable', ['trap-unreachable']),
        route('opened', ['trap-open']),
        route('reloaded', ['trap-reload']),
        route('capped', ['trap-capped']),
        { name: 'plain', match: { pathPrefix: '/' }, cluster: 'app' },
      ],
      clusters: [{ name: 'app', endpoints: [upstream.endpoint] }],
      extra: {
        plugins: [
          plugin({ name: 'trap-close', fixture: 'trap', rootId: 'trap', vmId: 'close', failStrategy: 'close' }),
          plugin({ name: 'trap-unreachable', fixture: 'trap', rootId: 'trap', vmId: 'unreachable', failStrategy: 'close' }),
          plugin({ name: 'trap-open', fixture: 'trap', rootId: 'trap', vmId: 'open', failStrategy: 'open' }),
          plugin({ name: 'trap-reload', fixture: 'trap', rootId: 'trap', vmId: 'reload', failStrategy: 'reload' }),
          { ...plugin({ name: 'trap-capped', fixture: 'trap', rootId: 'trap', vmId: 'capped', failStrategy: 'close' }), maxMemory: '8Mi' },
        ],
      },
    }));
    port = remora.ports.main!;
  });
  after(() => cleanup.run());

  const passes = async (path: string) => {
    const reply = await httpRequest(port, { path });
    assert.equal(reply.status, 200);
    return json<EchoReply>(reply).headers['x-trap-plugin'];
  };

  test('failStrategy close: the aborting request and the ones after it get 503 naming the plugin', async () => {
    assert.equal(await passes('/closed'), 'passed');
    const trapped = await httpRequest(port, { path: '/closed', headers: { 'x-trap': 'abort' } });
    assert.equal(trapped.status, 503);
    assert.equal(header(trapped.headers, 'remora-proxy-error'), 'plugin trap-close failed');
    const next = await httpRequest(port, { path: '/closed' });
    assert.equal(next.status, 503, 'a failed VM is not called again');
    await remora.waitForLog((l) => l.plugin === 'trap-close' && /conformance abort/.test(String(l.msg)));
  });

  test('a Wasm unreachable trap fails the same way', async () => {
    const trapped = await httpRequest(port, { path: '/unreachable', headers: { 'x-trap': 'unreachable' } });
    assert.equal(trapped.status, 503);
    assert.equal(header(trapped.headers, 'remora-proxy-error'), 'plugin trap-unreachable failed');
  });

  test('failStrategy open: the request goes through and the failed plugin is skipped afterwards', async () => {
    const trapped = await httpRequest(port, { path: '/opened', headers: { 'x-trap': 'abort' } });
    assert.equal(trapped.status, 200);
    assert.equal(await passes('/opened'), undefined);
  });

  test('failStrategy reload: a fresh VM takes over after the failure', async () => {
    const trapped = await httpRequest(port, { path: '/reloaded', headers: { 'x-trap': 'abort' } });
    assert.equal(trapped.status, 503);
    await eventually(async () => assert.equal(await passes('/reloaded'), 'passed'), 10_000, 100);
  });

  test('growing linear memory past the plugin\'s maxMemory fails that VM only', async () => {
    const small = await httpRequest(port, { path: '/capped', headers: { 'x-trap': 'grow-1' } });
    assert.equal(small.status, 200, 'growth under the cap is fine');
    assert.equal(json<EchoReply>(small).headers['x-trap-plugin'], 'grew');
    const big = await httpRequest(port, { path: '/capped', headers: { 'x-trap': 'grow-16' } });
    assert.equal(big.status, 503);
    assert.equal(header(big.headers, 'remora-proxy-error'), 'plugin trap-capped failed');
    const after = await httpRequest(port, { path: '/capped' });
    assert.equal(after.status, 503);
    assert.equal(await passes('/reloaded'), 'passed', 'other plugins of the same code are untouched');
  });

  test('the proxy and routes without the failed plugins keep working', async () => {
    assert.equal(await passes('/anything'), undefined);
    assert.equal(remora.process.exitCode, null);
  });

  test('the failures are counted per plugin on /metrics and shown on /plugins', async () => {
    const metrics = await admin(remora.adminPort, '/metrics');
    const failures = samples(metrics.text, 'remora_plugin_failures_total');
    assert.ok((failures.get('remora_plugin_failures_total{plugin="trap-close"}') ?? 0) >= 1, metrics.text);
    assert.ok((failures.get('remora_plugin_failures_total{plugin="trap-unreachable"}') ?? 0) >= 1, metrics.text);
    const plugins = JSON.parse((await admin(remora.adminPort, '/plugins')).text) as unknown;
    const closed = pluginState(plugins, 'trap-close');
    assert.equal(closed.abiVersion, '0.2.0', 'proxy-runtime 0.1.8 exports proxy_abi_version_0_2_0');
    assert.equal(closed.state, 'failed');
    assert.ok(Number(closed.traps) >= 1);
    assert.equal(pluginState(plugins, 'trap-reload').state, 'running');
  });
});
