// Inputs an adversarial probe found to crash, bypass or hang Remora, each kept as a regression test:
// heads an HTTP/2 upstream cannot carry, bytes that look like HTTP but are not classified as such,
// upgrades the upstream does not accept, trailers that must not reach the upstream.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { cleanupList, startRemora, type RemoraProcess } from '../support/remora.ts';
import { firstStatus, httpRequest, rawExchange } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { startH2cUpstream, startHttp1Upstream, type HttpUpstream } from '../support/upstreams.ts';
import { buildPlugin, pluginWasmPath } from '../../plugins/build.ts';

const TIMEOUT = { timeout: 20_000 };

/** What a describe block below proxies through: its upstream and the Remora in front of it. */
interface Setup {
  upstream: HttpUpstream;
  remora: RemoraProcess;
  port: number;
}

/**
 * Starts, before the block's tests, an upstream (HTTP/1 unless `startUpstream` says otherwise) and a Remora
 * with the config `config` makes for it; stops both after them.
 */
function proxied(config: (endpoint: string) => Record<string, unknown>, startUpstream: () => Promise<HttpUpstream> = startHttp1Upstream): Setup {
  const cleanup = cleanupList();
  const setup = {} as Setup;
  before(async () => {
    setup.upstream = await startUpstream();
    cleanup.after(() => setup.upstream.close());
    setup.remora = await startRemora(cleanup, config(setup.upstream.endpoint));
    setup.port = setup.remora.ports.main!;
  });
  after(() => cleanup.run());
  return setup;
}

/** One catch-all route to cluster `app` at `endpoint`; `cluster` and `listener` add settings. */
function appConfig(endpoint: string, options: { cluster?: Record<string, unknown>; listener?: Record<string, unknown>; route?: Record<string, unknown> } = {}): Record<string, unknown> {
  return proxyConfig({
    routes: [{ name: 'app', match: { pathPrefix: '/' }, cluster: 'app', ...options.route }],
    clusters: [{ name: 'app', endpoints: [endpoint], ...options.cluster }],
    listener: options.listener,
  });
}

describe('a request an HTTP/2 upstream cannot carry', () => {
  const setup = proxied((endpoint) => appConfig(endpoint, { cluster: { protocol: 'http2' } }), startH2cUpstream);

  for (const [what, extra] of [
    ['two user-agent lines', 'User-Agent: a\r\nUser-Agent: b\r\n'],
    ['two content-type lines', 'Content-Type: a/b\r\nContent-Type: c/d\r\n'],
    ['te: trailers twice', 'TE: trailers\r\nTE: trailers\r\n'],
  ] as const) {
    test(`${what} over HTTP/1 gets 400, and the proxy stays up`, TIMEOUT, async () => {
      const { upstream, remora, port } = setup;
      const mark = upstream.requests.length;
      const result = await rawExchange(port, `GET /dup HTTP/1.1\r\nHost: x\r\n${extra}\r\n`);
      assert.equal(firstStatus(result.data), 400, `got: ${JSON.stringify(result.data)}`);
      assert.match(result.data, /remora-proxy-error: request not valid for the upstream protocol/i);
      assert.equal(upstream.requests.length, mark, 'nothing reaches the upstream');
      const ok = await httpRequest(port, { path: '/after' });
      assert.equal(ok.status, 200);
      assert.equal(remora.process.exitCode, null, 'Remora must still be running');
    });
  }
});

describe('slow clients', () => {
  // One upstream connection: a stalled upload that kept it would leave nothing for the next request.
  const setup = proxied((endpoint) => appConfig(endpoint, {
    cluster: { maxConnectionsPerEndpoint: 1 },
    listener: { headersTimeout: '1s', streamIdleTimeout: '3s' },
  }));

  test('an upload that stops half way is closed after streamIdleTimeout, and frees its upstream connection', TIMEOUT, async () => {
    const { port } = setup;
    const result = await rawExchange(port, 'POST /hash HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789', 8000);
    assert.equal(result.closed, true, 'Remora closes the connection; the wait did not run out');
    assert.equal(firstStatus(result.data), 408, `answered as Envoy does: ${JSON.stringify(result.data)}`);
    assert.match(result.data, /remora-proxy-error: stream idle timeout/);
    // Had the stalled request kept the only upstream connection, this one would wait for it and get 504.
    const ok = await httpRequest(port, { path: '/after' });
    assert.equal(ok.status, 200);
  });

  test('the same over HTTP/2: the stream gets 408 and its upstream connection is freed', TIMEOUT, async () => {
    const { port } = setup;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/hash', 'content-length': '100' }, { endStream: false });
      stream.write('0123456789');
      const status = await new Promise<number>((resolve, reject) => {
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.on('error', reject);
      });
      assert.equal(status, 408);
      stream.destroy();
      // One upstream connection: this would wait for the stalled stream's and get 504 had it been kept.
      const ok = await httpRequest(port, { path: '/after-h2' });
      assert.equal(ok.status, 200);
    } finally {
      session.close();
    }
  });

  test('a request head that stops half way gets 408 and the connection closes (headersTimeout)', TIMEOUT, async () => {
    const { upstream, port } = setup;
    const mark = upstream.requests.length;
    const result = await rawExchange(port, 'GET /slow HTTP/1.1\r\nHost: x\r\nX-A: ', 8000);
    assert.equal(result.closed, true, 'Remora closes the connection; the wait did not run out');
    assert.equal(firstStatus(result.data), 408, `got: ${JSON.stringify(result.data)}`);
    assert.equal(upstream.requests.length, mark);
  });
});

describe('an upgrade the upstream declines', () => {
  // A plain HTTP server: it answers an Upgrade request as an ordinary one (200, keep-alive).
  const setup = proxied((endpoint) => appConfig(endpoint));

  const upgrade = 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
  const smuggled = 'GET /admin/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

  test('a request sent behind it in the same write never reaches the upstream', TIMEOUT, async () => {
    const { upstream, port } = setup;
    const mark = upstream.requests.length;
    const result = await rawExchange(port, upgrade + smuggled, 5000);
    assert.equal(firstStatus(result.data), 200, `the declined upgrade's own answer is relayed: ${JSON.stringify(result.data)}`);
    assert.equal(result.closed, true, 'and the connection closes after it');
    assert.deepEqual(upstream.requests.slice(mark).map((r) => r.url), ['/ws']);
  });

  test('nor does one sent after the answer', TIMEOUT, async () => {
    const { upstream, port } = setup;
    const mark = upstream.requests.length;
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d: string) => {
      const first = data === '';
      data += d;
      if (first) socket.write(smuggled);
    });
    socket.write(upgrade);
    await closed;
    assert.equal(firstStatus(data), 200);
    assert.equal((data.match(/HTTP\/1\.1 /g) ?? []).length, 1, `one answer only: ${JSON.stringify(data)}`);
    assert.deepEqual(upstream.requests.slice(mark).map((r) => r.url), ['/ws']);
  });
});

describe('an upgrade request with a body', () => {
  const setup = proxied((endpoint) => appConfig(endpoint));

  test('with a Content-Length gets 400 at once (the upstream would wait for a body the tunnel holds back)', TIMEOUT, async () => {
    const { upstream, port } = setup;
    const mark = upstream.requests.length;
    const result = await rawExchange(port, 'POST /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\n\r\nhello', 5000);
    assert.equal(result.closed, true, 'answered and closed, not left hanging');
    assert.equal(firstStatus(result.data), 400, JSON.stringify(result.data));
    assert.equal(upstream.requests.length, mark);
  });

  test('gets 400 and nothing is tunnelled (its chunks would reach the upstream as raw bytes)', TIMEOUT, async () => {
    const { upstream, port } = setup;
    const mark = upstream.requests.length;
    const smuggled = 'GET /admin/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
    const result = await rawExchange(port,
      'POST /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nTransfer-Encoding: chunked\r\n\r\n' +
      `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`);
    assert.equal(firstStatus(result.data), 400, JSON.stringify(result.data));
    assert.match(result.data, /remora-proxy-error: upgrade with a body not supported/);
    assert.equal(upstream.requests.length, mark);
  });
});

describe('bytes that are almost HTTP on a listener with an auth plugin', () => {
  // The auth plugin wanting an API key nobody sends: nothing may reach the app by any way.
  before(() => buildPlugin('auth'));
  const setup = proxied((endpoint) => apiKeyProtected(endpoint, [{ name: 'admin', match: { pathPrefix: '/' }, cluster: 'app', plugins: ['auth'] }], { detectTimeout: '300ms' }));

  for (const [what, bytes] of [
    ['a leading CRLF', '\r\nGET /admin/secret HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a malformed method', 'G3T /admin/secret HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a lower-case method', 'get /admin/secret HTTP/1.1\r\nHost: x\r\n\r\n'],
  ] as const) {
    test(`${what} is refused or closed, never piped to the app`, TIMEOUT, async () => {
      const { upstream, port } = setup;
      const connections = upstream.connections();
      const result = await rawExchange(port, bytes, 2000);
      assert.doesNotMatch(result.data, /HTTP\/1\.1 200/, JSON.stringify(result.data));
      assert.equal(upstream.connections(), connections, 'no connection to the app');
    });
  }

  test('a request line sent slower than detectTimeout stays HTTP', TIMEOUT, async () => {
    const { upstream, port } = setup;
    const connections = upstream.connections();
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { data += d; });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET');
    await new Promise((r) => setTimeout(r, 800));
    socket.end(' /admin/secret HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    assert.match(data, /^HTTP\/1\.1 401 /, 'the auth plugin answered: the request went the HTTP way');
    assert.equal(upstream.connections(), connections);
  });
});


describe('request trailers', () => {
  const cleanup = cleanupList();
  let h1up: HttpUpstream;
  let h2up: HttpUpstream;
  let port = 0;
  before(async () => {
    h1up = await startHttp1Upstream();
    cleanup.after(() => h1up.close());
    h2up = await startH2cUpstream();
    cleanup.after(() => h2up.close());
    const remora = await startRemora(cleanup, proxyConfig({
      routes: [
        { name: 'h2', match: { pathPrefix: '/h2/' }, cluster: 'h2' },
        { name: 'h1', match: { pathPrefix: '/' }, cluster: 'h1' },
      ],
      clusters: [{ name: 'h1', endpoints: [h1up.endpoint] }, { name: 'h2', endpoints: [h2up.endpoint], protocol: 'http2' }],
    }));
    port = remora.ports.main!;
  });
  after(() => cleanup.run());

  test('a body in a transfer coding Remora cannot decode gets 501 and does not reach the upstream', TIMEOUT, async () => {
    const mark = h1up.requests.length;
    const result = await rawExchange(port, 'POST /coded HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 3000);
    assert.equal(firstStatus(result.data), 501, JSON.stringify(result.data));
    assert.match(result.data, /remora-proxy-error: transfer coding not supported/);
    assert.equal(h1up.requests.length, mark);
    const plain = await rawExchange(port, 'POST /coded HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: identity, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 3000);
    assert.equal(firstStatus(plain.data), 200, 'identity is no coding at all');
  });

  for (const [path, which] of [['/tr', 'HTTP/1'], ['/h2/tr', 'HTTP/2']] as const) {
    test(`reach an ${which} upstream without framing, routing, credentials or forwarding fields`, TIMEOUT, async () => {
      const result = await rawExchange(port,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: x-t\r\n\r\n3\r\nabc\r\n0\r\n` +
        'Host: evil\r\nAuthorization: Bearer x\r\nX-Forwarded-For: 6.6.6.6\r\nVia: 1.1 elsewhere\r\nX-T: 1\r\n\r\n', 3000);
      assert.equal(firstStatus(result.data), 200, JSON.stringify(result.data));
      const echoed = JSON.parse(result.data.slice(result.data.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '')) as { trailers: Record<string, string>; body: string };
      assert.equal(echoed.body, 'abc');
      assert.deepEqual(echoed.trailers, { 'x-t': '1' });
    });
  }
});

describe('every upstream connection busy', () => {
  // /slow holds its connection for 20 s; the cluster has one connection.
  const setup = proxied((endpoint) => appConfig(endpoint, { cluster: { maxConnectionsPerEndpoint: 1 }, route: { timeout: '3s' } }));

  test('a request waiting for a connection gets 504 at its route timeout, not whenever one frees up', TIMEOUT, async () => {
    const { port } = setup;
    const holder = rawExchange(port, 'GET /slow?ms=20000 HTTP/1.1\r\nHost: x\r\n\r\n', 12_000);
    await new Promise((r) => setTimeout(r, 300));
    // Without its own timer it would wait for the held connection and get the upstream's 200 at 20 s.
    const waiting = await httpRequest(port, { path: '/queued' });
    assert.equal(waiting.status, 504);
    assert.equal(waiting.headers['remora-proxy-error'], 'upstream timeout');
    const held = await holder;
    assert.equal(firstStatus(held.data), 504, 'the held request times out too');
  });
});

describe('other spellings of a protected path', () => {
  before(() => buildPlugin('auth'));
  const setup = proxied((endpoint) => apiKeyProtected(endpoint, [
    { name: 'admin', match: { pathPrefix: '/admin' }, cluster: 'app', plugins: ['auth'] },
    { name: 'rest', match: { pathPrefix: '/' }, cluster: 'app' },
  ]));

  for (const path of ['/%61dmin/secret', '//admin/secret', '/public/../admin/secret', '/./admin/secret', '/%2e%2e/admin/secret']) {
    test(`${path} takes the /admin route and its auth plugin`, TIMEOUT, async () => {
      const { upstream, port } = setup;
      const mark = upstream.requests.length;
      const result = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.equal(firstStatus(result.data), 401, JSON.stringify(result.data));
      assert.equal(upstream.requests.length, mark);
    });
  }

  test('the upstream gets the normalized path, the query as sent', TIMEOUT, async () => {
    const { upstream, port } = setup;
    const reply = await httpRequest(port, { path: '/a//b/./c/../%7Ed?next=/x/../y' });
    assert.equal(reply.status, 200);
    assert.equal(upstream.requests.at(-1)!.url, '/a/b/~d?next=/x/../y');
  });
});

describe('an ambiguous Host', () => {
  const setup = proxied((endpoint) => appConfig(endpoint));

  for (const [what, hostLines] of [
    ['two Host fields', 'Host: a.example\r\nHost: b.example\r\n'],
    ['a Host that is no authority', 'Host: a b/c?d\r\n'],
  ] as const) {
    test(`${what} gets 400 and does not reach the upstream (RFC 9112 §3.2)`, TIMEOUT, async () => {
      const { upstream, port } = setup;
      for (const upgrade of ['', 'Connection: Upgrade\r\nUpgrade: websocket\r\n']) {
        const mark = upstream.requests.length;
        const result = await rawExchange(port, `GET /h HTTP/1.1\r\n${hostLines}${upgrade}\r\n`, 3000);
        assert.equal(firstStatus(result.data), 400, JSON.stringify(result.data));
        assert.match(result.data, /remora-proxy-error: invalid host/);
        assert.equal(upstream.requests.length, mark);
      }
    });
  }

  test('an IPv6 literal with a port is a fine Host', TIMEOUT, async () => {
    const { port } = setup;
    const result = await rawExchange(port, 'GET /h HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n', 3000);
    assert.equal(firstStatus(result.data), 200, JSON.stringify(result.data));
  });
});

/** `routes` to cluster `app`, with the auth plugin configured to want an API key nobody sends. */
function apiKeyProtected(endpoint: string, routes: Array<Record<string, unknown>>, listener?: Record<string, unknown>): Record<string, unknown> {
  return proxyConfig({
    routes: routes as never,
    clusters: [{ name: 'app', endpoints: [endpoint] }],
    listener,
    extra: { plugins: [{ name: 'auth', url: pluginWasmPath('auth'), config: { apiKeys: { keys: [{ name: 'ops', key: 'k-1' }] } } }] },
  });
}

describe('an upstream that never answers', () => {
  const silent: net.Socket[] = [];
  const setup = proxied((endpoint) => proxyConfig({
    routes: [
      { name: 'untimed', match: { pathPrefix: '/untimed' }, cluster: 'app', timeout: '0' },
      { name: 'app', match: { pathPrefix: '/' }, cluster: 'app', timeout: '1s' },
    ],
    clusters: [{ name: 'app', endpoints: [endpoint] }],
    listener: { streamIdleTimeout: '2s' },
  }), async () => {
    // Accepts connections, reads, never answers.
    const server = net.createServer((socket) => {
      silent.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    return {
      endpoint: `127.0.0.1:${port}`,
      close: () => new Promise<void>((resolve) => {
        for (const s of silent) s.destroy();
        server.close(() => resolve());
      }),
    } as unknown as HttpUpstream;
  });

  test('a request on a route without timeout gets 408 after streamIdleTimeout, as in Envoy', TIMEOUT, async () => {
    const { port } = setup;
    const result = await rawExchange(port, 'GET /untimed HTTP/1.1\r\nHost: x\r\n\r\n', 8000);
    assert.equal(result.closed, true);
    assert.equal(firstStatus(result.data), 408, JSON.stringify(result.data));
    assert.match(result.data, /remora-proxy-error: stream idle timeout/);
  });

  test('an upgrade gets 504 at the route timeout', TIMEOUT, async () => {
    const { port } = setup;
    const result = await rawExchange(port, 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', 8000);
    assert.equal(result.closed, true, 'answered and closed, not left hanging');
    assert.equal(firstStatus(result.data), 504, JSON.stringify(result.data));
    assert.match(result.data, /remora-proxy-error: upstream timeout/);
  });
});

describe('an HTTP/2 request an HTTP/1 upstream cannot take', () => {
  const setup = proxied((endpoint) => appConfig(endpoint));

  test('a :path with non-ASCII bytes gets 400, not the upstream\'s refusal as 502', TIMEOUT, async () => {
    const { upstream, port } = setup;
    const mark = upstream.requests.length;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    try {
      const stream = session.request({ ':method': 'GET', ':path': '/caf\u00e9' });
      stream.on('error', () => {});
      const status = await new Promise<number>((resolve) => stream.on('response', (h) => resolve(Number(h[':status']))));
      assert.equal(status, 400);
      stream.resume();
    } finally {
      session.close();
    }
    assert.equal(upstream.requests.length, mark);
  });
});
