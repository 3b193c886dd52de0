// Proxy lifecycle and routing through real sockets: matchers, weights, round robin, reload, shutdown.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { cluster, config, httpUpstream, listener, route, startProxy } from './http/testing.ts';

/** An upstream that answers with its own name (and can be held open). */
/** Resolved by `named` upstreams when a /hold request arrived (so tests act while it is in flight). */
let holdArrived: (() => void) | undefined;

async function named(name: string, holdMs = 0) {
  return httpUpstream((req, res) => {
    const answer = () => {
      res.writeHead(200, { 'x-upstream': name, 'content-type': 'text/plain' });
      res.end(`${name} ${req.method} ${req.url}`);
    };
    if (holdMs > 0 && req.url?.startsWith('/hold')) {
      holdArrived?.();
      setTimeout(answer, holdMs);
    } else answer();
  });
}

function nextHold(): Promise<void> {
  return new Promise((resolve) => (holdArrived = resolve));
}

function get(url: string, opts: http.RequestOptions = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, ...opts }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('routing', () => {
  it('takes the first matching route by host, exact path, regex, method and headers', async () => {
    const ups = await Promise.all(['host', 'exact', 'regex', 'method', 'header', 'fallback'].map((n) => named(n)));
    const [host, exact, regex, method, header, fallback] = ups;
    const p = await startProxy(
      config(
        [
          listener('in', [
            route('host', 'host', { match: { host: 'api.example', pathPrefix: '/' } }),
            route('exact', 'exact', { match: { path: '/exact' } }),
            route('regex', 'regex', { match: { pathRegex: '/items/[0-9]+' } }),
            route('method', 'method', { match: { pathPrefix: '/m', method: 'DELETE' } }),
            route('header', 'header', { match: { pathPrefix: '/', headers: { 'x-canary': '1' } } }),
            route('fallback', 'fallback'),
          ]),
        ],
        [
          cluster('host', [host.address]),
          cluster('exact', [exact.address]),
          cluster('regex', [regex.address]),
          cluster('method', [method.address]),
          cluster('header', [header.address]),
          cluster('fallback', [fallback.address]),
        ],
      ),
    );
    try {
      const who = async (path: string, opts: http.RequestOptions = {}) => (await get(`${p.url()}${path}`, opts)).headers['x-upstream'];
      assert.equal(await who('/anything', { headers: { host: 'API.example:8080' } }), 'host');
      assert.equal(await who('/exact?q=1'), 'exact');
      assert.equal(await who('/exact/more'), 'fallback');
      assert.equal(await who('/items/42'), 'regex');
      assert.equal(await who('/items/42x'), 'fallback');
      assert.equal(await who('/m', { method: 'DELETE' }), 'method');
      assert.equal(await who('/m', { method: 'GET' }), 'fallback');
      assert.equal(await who('/x', { headers: { 'x-canary': '1' } }), 'header');
      assert.equal(await who('/x', { headers: { 'x-canary': '2' } }), 'fallback');
    } finally {
      await p.close();
      await Promise.all(ups.map((u) => u.close()));
    }
  });

  it('splits traffic across weighted backends and round-robins endpoints', async () => {
    const ups = await Promise.all(['a1', 'a2', 'b'].map((n) => named(n)));
    const p = await startProxy(
      config(
        [listener('in', [route('split', [{ cluster: 'a', weight: 1 }, { cluster: 'b', weight: 1 }])])],
        [cluster('a', [ups[0].address, ups[1].address]), cluster('b', [ups[2].address])],
      ),
    );
    try {
      const counts: Record<string, number> = { a1: 0, a2: 0, b: 0 };
      for (let i = 0; i < 60; i++) counts[(await get(`${p.url()}/`)).headers['x-upstream'] as string]++;
      assert.ok(counts.b > 0 && counts.a1 > 0 && counts.a2 > 0, JSON.stringify(counts));
      assert.ok(Math.abs(counts.a1 - counts.a2) <= 1, JSON.stringify(counts));
      assert.equal(counts.a1 + counts.a2 + counts.b, 60);
    } finally {
      await p.close();
      await Promise.all(ups.map((u) => u.close()));
    }
  });
});

describe('reload', () => {
  it('switches routes for new requests while in-flight ones and keep-alive connections carry on', async () => {
    const oldUp = await named('old', 200);
    const newUp = await named('new');
    const cfg1 = config([listener('in', [route('r', 'old')])], [cluster('old', [oldUp.address])]);
    const p = await startProxy(cfg1);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const warm = await viaAgent(`${p.url()}/warm`, agent);
      assert.equal(warm.upstream, 'old');
      const port = p.port();
      const arrived = nextHold();
      const inflight = get(`${p.url()}/hold`);
      await arrived;
      const cfg2 = config([listener('in', [route('r', 'new')])], [cluster('new', [newUp.address])]);
      await p.proxy.reload(cfg2);
      assert.equal(p.port(), port);
      const held = await inflight;
      assert.equal(held.status, 200);
      assert.equal(held.headers['x-upstream'], 'old');
      const after = await viaAgent(`${p.url()}/after`, agent);
      assert.equal(after.upstream, 'new');
      // Same client port: the keep-alive connection opened before the reload carried the new request.
      assert.equal(after.localPort, warm.localPort);
    } finally {
      agent.destroy();
      await p.close();
      await oldUp.close();
      await newUp.close();
    }
  });

  it('opens listeners added by the new config and closes removed ones', async () => {
    const up = await named('up');
    const c = [cluster('up', [up.address])];
    const p = await startProxy(config([listener('a', [route('r', 'up')])], c));
    try {
      const aPort = p.port('a');
      await p.proxy.reload(config([listener('b', [route('r', 'up')])], c));
      assert.equal(p.proxy.addresses().has('a'), false);
      const bPort = p.port('b');
      assert.equal((await get(`http://127.0.0.1:${bPort}/`)).headers['x-upstream'], 'up');
      // reload() closed the removed listener's server before resolving.
      await assert.rejects(get(`http://127.0.0.1:${aPort}/`));
    } finally {
      await p.close();
      await up.close();
    }
  });

  it('rejects a config whose new listener cannot bind and keeps serving the old one', async () => {
    const up = await named('up');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const c = [cluster('up', [up.address])];
    const p = await startProxy(config([listener('a', [route('r', 'up')])], c));
    try {
      await assert.rejects(p.proxy.reload(config([listener('a', [route('r', 'up')]), listener('b', [route('r', 'up')], { address: `127.0.0.1:${taken}` })], c)));
      assert.equal((await get(`${p.url('a')}/`)).status, 200);
    } finally {
      await p.close();
      await up.close();
      blocker.close();
    }
  });
});

describe('shutdown', () => {
  it('finishes in-flight requests with connection: close, refuses new connections and sends GOAWAY', async () => {
    const up = await named('up', 150);
    const p = await startProxy(config([listener('in', [route('r', 'up')])], [cluster('up', [up.address])]));
    const port = p.port();
    const session = http2.connect(p.url());
    await once(session, 'connect');
    const goaway = once(session, 'goaway');
    const arrived = nextHold();
    const inflight = get(`${p.url()}/hold`, { agent: new http.Agent({ keepAlive: true }) });
    await arrived;
    const stopped = p.proxy.shutdown(2_000);
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(res.headers.connection, 'close');
    await goaway;
    await stopped;
    session.destroy();
    await assert.rejects(get(`http://127.0.0.1:${port}/`));
    await up.close();
  });

  it('destroys what is left after the grace period', async () => {
    const up = await named('up', 1_000);
    const p = await startProxy(config([listener('in', [route('r', 'up')])], [cluster('up', [up.address])]));
    const arrived = nextHold();
    const inflight = get(`${p.url()}/hold`).then(
      () => 'answered',
      () => 'cut',
    );
    await arrived;
    await p.proxy.shutdown(100);
    assert.equal(await inflight, 'cut');
    await up.close();
  });
});

/** A GET through a keep-alive agent, reporting which upstream answered and the client's local port. */
function viaAgent(url: string, agent: http.Agent): Promise<{ upstream: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const localPort = req.socket?.localPort ?? 0;
      res.resume();
      res.on('end', () => resolve({ upstream: String(res.headers['x-upstream']), localPort }));
    });
    req.on('error', reject);
  });
}
