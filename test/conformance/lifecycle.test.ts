// proxy-runtime context lifecycle through a real Remora, read from the SDK's own debug logs
// (proxy_log at debug level, tagged with the plugin name): the root context is announced and
// started, each stream context is created under it, and a finished stream gets on_log, on_done
// and on_delete in Envoy's order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupList, logLevel, startRemora, type RemoraProcess } from '../support/remora.ts';
import { startHttp1Upstream } from '../support/upstreams.ts';
import { httpRequest } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { plugin } from './support.ts';

describe('proxy-runtime context lifecycle', () => {
  const cleanup = cleanupList();
  let remora: RemoraProcess;

  before(async () => {
    const upstream = await startHttp1Upstream({ name: 'app' });
    cleanup.after(() => upstream.close());
    remora = await startRemora(cleanup, proxyConfig({
      log: { level: 'debug' },
      routes: [{ name: 'life', match: { pathPrefix: '/' }, cluster: 'app', plugins: ['life'] }],
      clusters: [{ name: 'app', endpoints: [upstream.endpoint] }],
      extra: { plugins: [plugin({ name: 'life', fixture: 'trap', rootId: 'trap' })] },
    }), { env: { REMORA_LOG: 'debug' } });
  });
  after(() => cleanup.run());

  /** The plugin's own messages, in the order Remora logged them. */
  const messages = () => remora.logs().filter((l) => l.plugin === 'life').map((l) => String(l.msg));

  test('the root context is created through plugin_root_id and started before any stream', () => {
    const log = messages();
    const created = log.findIndex((m) => /^Registering new root context for trap with id: \d+$/.test(m));
    const started = log.findIndex((m) => /onStart\(vm_configuration_size:0\)/.test(m));
    assert.ok(created >= 0 && started > created, log.join('\n'));
  });

  test('a finished stream gets on_log, then on_done, then on_delete', async () => {
    const reply = await httpRequest(remora.ports.main!, { path: '/echo' });
    assert.equal(reply.status, 200);
    const deleted = await remora.waitForLog((l) => l.plugin === 'life' && /: onDelete\(\)$/.test(String(l.msg)));
    const id = /context id: (\d+)/.exec(String(deleted.msg))![1];
    const log = messages();
    const at = (pattern: RegExp) => log.findIndex((m) => pattern.test(m));
    const create = at(new RegExp(`^Registering new context with context_id: ${id} under root_context: \\d+$`));
    const onLog = at(new RegExp(`^context id: ${id}: onLog\\(\\)$`));
    const onDone = at(new RegExp(`^context id: ${id}: onDone\\(\\)$`));
    const onDelete = at(new RegExp(`^context id: ${id}: onDelete\\(\\)$`));
    assert.ok(create >= 0 && create < onLog && onLog < onDone && onDone < onDelete, log.join('\n'));
  });

  test('plugin log lines carry the plugin name and the level the plugin asked for', () => {
    const line = remora.logs().find((l) => l.plugin === 'life' && /onStart/.test(String(l.msg)));
    assert.ok(line, 'no onStart line');
    assert.equal(logLevel(line), 20, 'LogLevel debug maps to pino debug');
  });
});
