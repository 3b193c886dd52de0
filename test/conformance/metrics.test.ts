// proxy-runtime metrics fixture through a real Remora: a counter, a gauge and a histogram the
// plugin defines show up on the admin /metrics with the values it recorded, and the counter
// reads back through proxy_get_metric.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupList, startRemora } from '../support/remora.ts';
import { startHttp1Upstream } from '../support/upstreams.ts';
import { admin, httpRequest } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { header, plugin, sample } from './support.ts';

describe('proxy-runtime metrics plugin', () => {
  const cleanup = cleanupList();
  let port: number;
  let adminPort: number;

  before(async () => {
    const upstream = await startHttp1Upstream({ name: 'app' });
    cleanup.after(() => upstream.close());
    const remora = await startRemora(cleanup, proxyConfig({
      routes: [{ name: 'measured', match: { pathPrefix: '/' }, cluster: 'app', plugins: ['metrics'] }],
      clusters: [{ name: 'app', endpoints: [upstream.endpoint] }],
      extra: { plugins: [plugin({ name: 'metrics', fixture: 'metrics', rootId: 'metrics' })] },
    }));
    port = remora.ports.main!;
    adminPort = remora.adminPort;
  });
  after(() => cleanup.run());

  test('counter, gauge and histogram defined in on_configure are exported with the recorded values', async () => {
    const values = [10, 20, 30];
    for (const [i, value] of values.entries()) {
      const reply = await httpRequest(port, { path: '/echo', headers: { 'x-value': String(value) } });
      assert.equal(reply.status, 200);
      assert.equal(header(reply.headers, 'x-requests-metric'), String(i + 1), 'proxy_get_metric reads the counter');
    }
    const { status, text } = await admin(adminPort, '/metrics');
    assert.equal(status, 200);
    assert.equal(sample(text, 'conformance_requests'), 3);
    assert.equal(sample(text, 'conformance_last_value'), 30);
    assert.equal(sample(text, 'conformance_values', '_count'), 3);
    assert.equal(sample(text, 'conformance_values', '_sum'), 60);
  });
});
