// proxy-runtime shared-data, queue and tick fixtures through a real Remora: a CAS-guarded
// counter shared by vmId across VMs, a shared queue from a stream context to another VM's
// on_queue_ready, and on_tick driving shared data and a metric.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupList, startRemora, type RemoraProcess } from '../support/remora.ts';
import { startHttp1Upstream, type HttpUpstream } from '../support/upstreams.ts';
import { admin, eventually, httpRequest } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { header, plugin, pluginState, sample } from './support.ts';

describe('proxy-runtime shared state plugins', () => {
  const cleanup = cleanupList();
  let port: number;
  let adminPort: number;
  let tokens: HttpUpstream;
  let remora: RemoraProcess;
  let config: Record<string, unknown>;

  before(async () => {
    const upstream = await startHttp1Upstream({ name: 'app' });
    cleanup.after(() => upstream.close());
    let issued = 0;
    tokens = await startHttp1Upstream({
      name: 'tokens',
      handler: (req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`tok-${++issued}`);
      },
    });
    cleanup.after(() => tokens.close());
    const route = (name: string, prefix: string, plugins: string[]) =>
      ({ name, match: { pathPrefix: prefix }, cluster: 'app', plugins });
    config = proxyConfig({
      routes: [
        route('counter-a', '/counter/a', ['counter-a']),
        route('counter-b', '/counter/b', ['counter-b']),
        route('counter-other', '/counter/other', ['counter-other']),
        route('counter-burst', '/burst', ['counter-burst']),
        route('consumer', '/consumer', ['queue-consumer']),
        route('one-vm-consumer', '/one-vm-consumer', ['one-vm-consumer']),
        { ...route('one-vm-producer', '/', ['one-vm-producer']), match: { pathPrefix: '/', headers: { 'x-vm': 'one' } } },
        route('ticks', '/ticks', ['ticker']),
        route('tick-token', '/tick-token', ['ticker-token']),
        route('producer', '/', ['queue-producer']),
      ],
      clusters: [{ name: 'app', endpoints: [upstream.endpoint] }, { name: 'tokens', endpoints: [tokens.endpoint] }],
      extra: {
        plugins: [
          // Same vmId, different vmConfig: two VMs that must see one store.
          plugin({ name: 'counter-a', fixture: 'shared-data', rootId: 'counter', vmId: 'counted', vmConfig: 'a' }),
          plugin({ name: 'counter-b', fixture: 'shared-data', rootId: 'counter', vmId: 'counted', vmConfig: 'b' }),
          plugin({ name: 'counter-other', fixture: 'shared-data', rootId: 'counter', vmId: 'elsewhere' }),
          plugin({ name: 'counter-burst', fixture: 'shared-data', rootId: 'counter', vmId: 'burst' }),
          plugin({ name: 'queue-consumer', fixture: 'queue', rootId: 'queue_consumer', vmId: 'events', vmConfig: 'consumer' }),
          plugin({ name: 'queue-producer', fixture: 'queue', rootId: 'queue_producer', vmId: 'events', vmConfig: 'producer' }),
          // Both root ids of the module on one VM (same code, vmId and vmConfig).
          plugin({ name: 'one-vm-consumer', fixture: 'queue', rootId: 'queue_consumer', vmId: 'one-vm' }),
          plugin({ name: 'one-vm-producer', fixture: 'queue', rootId: 'queue_producer', vmId: 'one-vm' }),
          plugin({ name: 'ticker', fixture: 'tick', rootId: 'ticker', config: '20', vmId: 'ticks' }),
          plugin({ name: 'ticker-token', fixture: 'tick', rootId: 'ticker', config: '20,tokens', vmId: 'tick-token' }),
        ],
      },
    });
    remora = await startRemora(cleanup, config);
    port = remora.ports.main!;
    adminPort = remora.adminPort;
  });
  after(() => cleanup.run());

  const hits = async (path: string): Promise<number> => {
    const reply = await httpRequest(port, { path });
    assert.equal(reply.status, 200);
    return Number(header(reply.headers, 'x-hits'));
  };

  test('a CAS-guarded counter is shared by plugins with the same vmId, even in different VMs', async () => {
    assert.equal(await hits('/counter/a'), 1);
    assert.equal(await hits('/counter/b'), 2);
    assert.equal(await hits('/counter/a'), 3);
    const plugins = JSON.parse((await admin(adminPort, '/plugins')).text) as unknown;
    const [a, b] = [pluginState(plugins, 'counter-a'), pluginState(plugins, 'counter-b')];
    assert.equal(a.vmId, 'counted');
    assert.equal(b.vmId, 'counted');
    assert.notEqual(a.vmKey, b.vmKey, 'different vmConfig means different VMs');
  });

  test('another vmId has its own shared data', async () => {
    assert.equal(await hits('/counter/other'), 1);
    assert.equal(await hits('/counter/other'), 2);
  });

  test('a stale CAS is refused with CasMismatch and a missing key reads NotFound', async () => {
    const reply = await httpRequest(port, { path: '/counter/other' });
    assert.equal(header(reply.headers, 'x-stale-cas-status'), '8');
    assert.equal(header(reply.headers, 'x-missing-key-status'), '1');
  });

  test('concurrent requests each take a distinct counter value', async () => {
    const values = await Promise.all(Array.from({ length: 12 }, () => hits('/burst')));
    assert.deepEqual([...values].sort((x, y) => x - y), Array.from({ length: 12 }, (_, i) => i + 1));
  });

  test('items enqueued from stream contexts reach the consumer VM\'s on_queue_ready in order', async () => {
    for (const item of ['alpha', 'beta', 'gamma']) {
      const reply = await httpRequest(port, { path: `/enqueue/${item}` });
      assert.equal(reply.status, 200);
      assert.equal(header(reply.headers, 'x-enqueue-status'), '0');
    }
    await eventually(async () => {
      const reply = await httpRequest(port, { path: '/status' });
      assert.equal(header(reply.headers, 'x-received'), 'alpha,beta,gamma');
    });
  });

  test('two root ids of one module on one VM: the queue reaches the other root context', async () => {
    const plugins = JSON.parse((await admin(adminPort, '/plugins')).text) as unknown;
    assert.equal(pluginState(plugins, 'one-vm-consumer').vmKey, pluginState(plugins, 'one-vm-producer').vmKey);
    const reply = await httpRequest(port, { path: '/enqueue/solo', headers: { 'x-vm': 'one' } });
    assert.equal(header(reply.headers, 'x-enqueue-status'), '0');
    await eventually(async () => {
      const status = await httpRequest(port, { path: '/status', headers: { 'x-vm': 'one' } });
      assert.equal(header(status.headers, 'x-received'), 'solo');
    });
  });

  test('resolving a queue nobody registered answers NotFound', async () => {
    const reply = await httpRequest(port, { path: '/status' });
    assert.equal(header(reply.headers, 'x-missing-queue-status'), '1');
  });

  test('on_tick runs repeatedly on the root context, updating shared data and a plugin counter', async () => {
    const seen = await eventually(async () => {
      const reply = await httpRequest(port, { path: '/ticks' });
      const ticks = Number(header(reply.headers, 'x-ticks'));
      assert.ok(ticks >= 3, `only ${ticks} ticks so far`);
      assert.ok(Number(header(reply.headers, 'x-shared-ticks')) >= 3);
      return ticks;
    });
    const metrics = await admin(adminPort, '/metrics');
    assert.ok(sample(metrics.text, 'conformance_ticks') >= seen);
  });

  test('on_tick can call a cluster from the root context and keep what it answers', async () => {
    await eventually(async () => {
      const reply = await httpRequest(port, { path: '/tick-token' });
      assert.match(String(header(reply.headers, 'x-tick-token')), /^tok-[1-9]\d*$/);
    });
    const call = tokens.requests[0]!;
    assert.equal(call.method, 'GET');
    assert.equal(call.url, '/token');
    assert.equal(call.headers.host, 'token.conformance');
  });

  test('a reload with the same plugins keeps their VMs, so shared data carries on', async () => {
    const before = await hits('/counter/other');
    remora.reload(config);
    await remora.waitForLog((l) => l.msg === 'config reloaded');
    assert.equal(await hits('/counter/other'), before + 1);
  });
});
