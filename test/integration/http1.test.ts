// HTTP/1.1 through a real Remora process to a real node:http upstream: bodies, keep-alive,
// streaming in both directions, trailers, 100-continue, bodiless responses, WebSocket upgrade.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { cleanupList, startRemora, type CleanupScope } from '../support/remora.ts';
import { admin, eventually, firstStatus, gate, httpRequest, json, rawExchange } from '../support/clients.ts';
import { proxyConfig, singleClusterConfig } from '../support/config.ts';
import { dripUntilClosed, patternBytes, sha256, startHttp1Upstream, startRawUpstream, startWebSocketUpstream, type EchoReply, type HttpUpstream } from '../support/upstreams.ts';

const TIMEOUT = { timeout: 20_000 };

async function proxyTo(t: CleanupScope) {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint));
  return { upstream, remora, port: remora.ports.main! };
}

function keepAliveAgent(t: CleanupScope): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  return agent;
}

// One Remora and upstream for the stateless cases; tests that count connections or need another
// upstream start their own below.
describe('http1 proxying', () => {
  const cleanup = cleanupList();
  let upstream: HttpUpstream;
  let port = 0;
  before(async () => {
    upstream = await startHttp1Upstream();
    cleanup.after(() => upstream.close());
    const remora = await startRemora(cleanup, singleClusterConfig(upstream.endpoint));
    port = remora.ports.main!;
  });
  after(() => cleanup.run());

  test('GET reaches the upstream with method, path and query intact', TIMEOUT, async () => {
    const reply = await httpRequest(port, { path: '/some/path?x=1&y=two' });
    assert.equal(reply.status, 200);
    const echo = json<EchoReply>(reply);
    assert.equal(echo.method, 'GET');
    assert.equal(echo.url, '/some/path?x=1&y=two');
    assert.equal(reply.headers['x-upstream'], 'h1');
  });

  test('POST with a content-length body arrives whole and the content-length reply comes back', TIMEOUT, async () => {
    const body = JSON.stringify({ hello: 'world', n: [1, 2, 3] });
    const reply = await httpRequest(port, { method: 'POST', path: '/submit', body, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } });
    assert.equal(reply.status, 200);
    const echo = json<EchoReply>(reply);
    assert.equal(echo.method, 'POST');
    assert.equal(echo.body, body);
    assert.equal(echo.headers['content-type'], 'application/json');
    assert.equal(reply.headers['content-length'], String(reply.body.length));
  });

  test('chunked response is streamed: first chunk reaches the client before the upstream sends the rest', TIMEOUT, async () => {
    const release = gate();
    upstream.handle('/stream', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first-chunk;');
      void release.promise.then(() => res.end('rest-of-body'));
    });
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/stream', agent: false }, (res) => {
        assert.equal(res.headers['transfer-encoding'], 'chunked');
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          // Only once the first chunk arrived does the upstream get to finish.
          if (text.includes('first-chunk;')) release.open();
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    assert.equal(body, 'first-chunk;rest-of-body');
  });

  test('chunked request is streamed: upstream sees the first chunk before the client sends the rest', TIMEOUT, async () => {
    const firstSeen = gate();
    upstream.handle('/stream-up', (req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('part-one;')) firstSeen.open();
      });
      req.on('end', () => res.end(JSON.stringify({ text, te: req.headers['transfer-encoding'] ?? null })));
    });
    const reply = await new Promise<{ text: string; te: string | null }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/stream-up', agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      req.write('part-one;');
      void firstSeen.promise.then(() => req.end('part-two'));
    });
    assert.equal(reply.text, 'part-one;part-two');
    assert.equal(reply.te, 'chunked');
  });

  test('20 MB request body arrives intact (sha256)', TIMEOUT, async () => {
    const body = patternBytes(20 * 1024 * 1024, 7);
    const reply = await httpRequest(port, { method: 'POST', path: '/hash', body, headers: { 'content-length': String(body.length) } });
    assert.equal(reply.status, 200);
    assert.deepEqual(json(reply), { bytes: body.length, sha256: sha256(body) });
  });

  test('20 MB response body arrives intact, with content-length and chunked', TIMEOUT, async () => {
    const n = 20 * 1024 * 1024;
    const expected = sha256(patternBytes(n, 3));
    const fixed = await httpRequest(port, { path: `/bytes?n=${n}&seed=3` });
    assert.equal(fixed.status, 200);
    assert.equal(fixed.body.length, n);
    assert.equal(sha256(fixed.body), expected);
    const chunked = await httpRequest(port, { path: `/bytes?n=${n}&seed=3&chunked=1` });
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
    assert.equal(sha256(chunked.body), expected);
  });

  /** POST /trailers over HTTP/1.1 with a request trailer; resolves with the echo and response trailers. */
  function postWithTrailers(port: number): Promise<{ echo: EchoReply; trailers: NodeJS.Dict<string> }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/trailers', agent: false, headers: { trailer: 'x-client-trailer', te: 'trailers' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve({ echo: JSON.parse(text), trailers: res.trailers }));
      });
      req.on('error', reject);
      req.write('body-with-trailers');
      req.addTrailers({ 'x-client-trailer': 'from-client' });
      req.end();
    });
  }

  test('response trailers from the upstream reach the client (chunked)', TIMEOUT, async () => {
    const reply = await postWithTrailers(port);
    assert.equal(reply.echo.body, 'body-with-trailers');
    assert.equal(reply.trailers['x-upstream-trailer'], 'yes');
  });

  test('request trailers from the client reach the upstream (chunked)', TIMEOUT, async () => {
    const reply = await postWithTrailers(port);
    assert.equal(reply.echo.body, 'body-with-trailers');
    assert.equal(reply.echo.trailers['x-client-trailer'], 'from-client');
  });

  test('Expect: 100-continue gets a 100 before the body is sent, then the body is proxied', TIMEOUT, async () => {
    const body = 'sent-after-continue';
    const result = await new Promise<{ continued: boolean; status: number; echo: EchoReply }>((resolve, reject) => {
      let continued = false;
      const req = http.request({
        host: '127.0.0.1', port, method: 'PUT', path: '/upload', agent: false,
        headers: { expect: '100-continue', 'content-length': String(body.length) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve({ continued, status: res.statusCode ?? 0, echo: JSON.parse(text) }));
      });
      req.on('error', reject);
      // The client holds the body until the proxy says 100 Continue.
      req.on('continue', () => { continued = true; req.end(body); });
    });
    assert.equal(result.continued, true);
    assert.equal(result.status, 200);
    assert.equal(result.echo.body, body);
  });

  test('an upstream that closes its connection after each response does not break the client connection', TIMEOUT, async (t) => {
    upstream.handle('/close-after', (req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('connection', 'close');
        res.end('closing');
      });
    });
    const agent = keepAliveAgent(t);
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await httpRequest(port, { path: '/close-after', agent }));
    for (const reply of replies) {
      assert.equal(reply.status, 200);
      assert.equal(reply.body.toString(), 'closing');
    }
    assert.equal(new Set(replies.map((r) => r.localPort)).size, 1, "the upstream's Connection: close is not the client's");
  });

  test('upstream closing idle keep-alive connections between requests is invisible to the client', TIMEOUT, async () => {
    assert.equal((await httpRequest(port, { path: '/before-idle-close' })).status, 200);
    upstream.closeIdle();
    await eventually(async () => assert.equal(upstream.openConnections(), 0));
    // Give Remora's side a moment to read the FIN (a request racing a FIN is another matter).
    await new Promise((r) => setTimeout(r, 100));
    const reply = await httpRequest(port, { path: '/after-idle-close' });
    assert.equal(reply.status, 200);
    assert.equal(json<EchoReply>(reply).url, '/after-idle-close');
  });

  test('50 concurrent requests on 50 client connections all complete', TIMEOUT, async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => httpRequest(port, { path: `/slow?ms=200&i=${i}` })));
    for (const reply of replies) {
      assert.equal(reply.status, 200);
      assert.equal(reply.body.toString(), 'slow done');
    }
  });

  test('absolute-form request target (as sent to an HTTP proxy) is routed by its path and forwarded in origin-form', TIMEOUT, async () => {
    // RFC 9112 §3.2.2: a server MUST accept the absolute-form; apps using Remora as their
    // HTTP proxy send it.
    const result = await rawExchange(port, 'GET http://example.com/abs/form?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n', 5000);
    assert.equal(firstStatus(result.data), 200, `got: ${JSON.stringify(result.data.slice(0, 200))}`);
    const echo = JSON.parse(result.data.slice(result.data.indexOf('\r\n\r\n') + 4)) as EchoReply;
    assert.equal(echo.url, '/abs/form?x=1');
    assert.equal(echo.headers.host, 'example.com');
  });

  test('an upstream answering early (413, close) before reading a large body: the client gets that answer', TIMEOUT, async () => {
    upstream.handle('/early-413', (req, res) => {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
      res.end('too big');
    });
    const body = patternBytes(5 * 1024 * 1024, 21);
    const post = () => new Promise<string>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/early-413', agent: false, headers: { 'content-length': String(body.length) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { text += d; });
        res.on('end', () => resolve(`${res.statusCode} ${text}`));
        res.on('error', (e) => resolve(`${res.statusCode} aborted: ${e.message}`));
      });
      req.on('error', (e) => resolve(`request error: ${e.message}`));
      req.end(body);
    });
    // node:http straight to the same upstream gives 413 every time; a few tries catch a racy proxy.
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) outcomes.push(await post());
    assert.deepEqual(outcomes, Array(10).fill('413 too big'));
  });

  test('a client disconnecting mid-response stops the upstream response', TIMEOUT, async (t) => {
    const ended = dripUntilClosed(upstream, '/drip', t);
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/drip', agent: false }, (res) => {
        res.once('data', () => { req.destroy(); resolve(); });
      });
      req.on('error', (err) => { if (!req.destroyed) reject(err); });
    });
    // A response that never ends can only be closed by Remora passing the disconnect on.
    await eventually(async () => assert.deepEqual(ended, ['/drip'], 'the upstream response is closed'));
    assert.equal((await httpRequest(port, { path: '/after-drip' })).status, 200);
  });

  test('an upgrade the upstream refuses comes back as its plain answer, and the connection is not hijacked', TIMEOUT, async (t) => {
    upstream.handle('/ws-refused', (req, res) => {
      req.resume();
      res.writeHead(403, { 'content-type': 'text/plain', 'x-why': 'no-websocket-here' });
      res.end('forbidden');
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws-refused`);
    t.after(() => ws.terminate());
    const outcome = await new Promise<string>((resolve) => {
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (d: Buffer) => { text += d; });
        res.on('end', () => resolve(`${res.statusCode} ${res.headers['x-why']} ${text}`));
      });
      ws.on('open', () => resolve('opened'));
      ws.on('error', (err) => resolve(`error: ${err.message}`));
    });
    assert.equal(outcome, '403 no-websocket-here forbidden');
    assert.equal((await httpRequest(port, { path: '/after-refused-upgrade' })).status, 200);
  });

  test('pipelined requests on one connection are answered in order', TIMEOUT, async () => {
    const requests = ['/pipe-1', '/pipe-2', '/pipe-3'].map((path) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const result = await rawExchange(port, `${requests}GET /pipe-last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 5000);
    assert.equal(result.closed, true, 'Connection: close on the last request ends the connection');
    // Bodies have no trailing newline, so a status line may follow a body directly.
    const statuses = [...result.data.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    assert.deepEqual(statuses, ['200', '200', '200', '200']);
    const order = [...result.data.matchAll(/"url":"(\/pipe-[^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(order, ['/pipe-1', '/pipe-2', '/pipe-3', '/pipe-last']);
  });

  test('an HTTP/1.0 client gets a chunked upstream body without chunked framing, ended by close', TIMEOUT, async () => {
    const result = await rawExchange(port, 'GET /bytes?n=3000&chunked=1 HTTP/1.0\r\nHost: x\r\n\r\n', 5000);
    assert.equal(result.closed, true);
    assert.match(result.data, /^HTTP\/1\.[01] 200 /);
    const [head, ...rest] = result.data.split('\r\n\r\n');
    assert.doesNotMatch(head!, /transfer-encoding/i, 'HTTP/1.0 has no chunked encoding');
    assert.equal(Buffer.from(rest.join('\r\n\r\n'), 'latin1').equals(patternBytes(3000)), true, 'body is the raw bytes');
  });

  test('HEAD, 204 and 304 responses carry no body and leave the keep-alive connection usable', TIMEOUT, async (t) => {
    const agent = keepAliveAgent(t);
    const head = await httpRequest(port, { method: 'HEAD', path: '/bytes?n=5000', agent });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], '5000', 'HEAD keeps the length a GET would have');
    const noContent = await httpRequest(port, { path: '/status/204', agent });
    assert.equal(noContent.status, 204);
    assert.equal(noContent.body.length, 0);
    const notModified = await httpRequest(port, { path: '/status/304', agent, headers: { 'if-none-match': '"v1"' } });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);
    // A stray body byte on the socket would corrupt this next response.
    const next = await httpRequest(port, { path: '/after', agent });
    assert.equal(next.status, 200);
    assert.equal(json<EchoReply>(next).url, '/after');
    assert.equal(new Set([head.localPort, noContent.localPort, notModified.localPort, next.localPort]).size, 1);
  });
});

test('one keep-alive client connection carries many requests', TIMEOUT, async (t) => {
  const { port, upstream } = await proxyTo(t);
  const agent = keepAliveAgent(t);
  const localPorts = new Set<number>();
  for (let i = 0; i < 25; i++) {
    const reply = await httpRequest(port, { path: `/ka/${i}`, agent });
    assert.equal(reply.status, 200);
    assert.equal(json<EchoReply>(reply).url, `/ka/${i}`);
    localPorts.add(reply.localPort);
  }
  assert.equal(localPorts.size, 1, 'all requests should share one client socket');
  assert.equal(upstream.requests.length, 25);
  // Sequential requests need no more than one pooled upstream connection.
  assert.equal(upstream.connections(), 1, 'upstream connection should be kept alive and reused');
});

test('WebSocket upgrade is passed through and messages echo both ways', TIMEOUT, async (t) => {
  const upstream = await startWebSocketUpstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint));
  const ws = new WebSocket(`ws://127.0.0.1:${remora.ports.main}/chat?room=1`);
  t.after(() => ws.terminate());
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  const next = () => new Promise<{ data: Buffer; isBinary: boolean }>((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
  let reply = next();
  ws.send('hello');
  assert.equal((await reply).data.toString(), 'echo:hello');
  reply = next();
  ws.send(Buffer.from([0, 1, 2, 255]));
  const binary = await reply;
  assert.equal(binary.isBinary, true);
  assert.deepEqual([...binary.data], [0, 1, 2, 255]);
  assert.equal(upstream.upgrades.length, 1);
  assert.equal(upstream.upgrades[0]!.url, '/chat?room=1');
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.close(1000);
  assert.equal(await closed, 1000);
  // The upgrade went up and came down on one in-flight series (it once rose on cluster="" and fell on "app").
  const inFlight = (await admin(remora.adminPort, '/metrics')).text.split('\n').filter((l) => l.startsWith('remora_requests_in_flight{'));
  assert.ok(inFlight.some((l) => /cluster="app"/.test(l)), inFlight.join('\n'));
  for (const line of inFlight) assert.match(line, / 0$/, line);
});

test('listener idleTimeout closes an idle keep-alive client connection', TIMEOUT, async (t) => {
  const upstream = await startHttp1Upstream();
  t.after(() => upstream.close());
  const remora = await startRemora(t, singleClusterConfig(upstream.endpoint, { listener: { idleTimeout: '300ms' } }));
  const socket = net.connect(remora.ports.main!, '127.0.0.1');
  t.after(() => socket.destroy());
  let data = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => { data += d; });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write('GET /idle HTTP/1.1\r\nHost: x\r\n\r\n');
  // No Connection: close, so only the idle timeout can end this connection.
  await closed;
  assert.match(data, /^HTTP\/1\.1 200 /);
});

test('upstream bodies without a length (close-delimited, HTTP/1.0) arrive whole, re-framed for a keep-alive client', TIMEOUT, async (t) => {
  const body = patternBytes(50_000, 9);
  const closeDelimited = await startRawUpstream(() => Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'), body]));
  const http10 = await startRawUpstream(() => 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold-school');
  t.after(() => closeDelimited.close());
  t.after(() => http10.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [
      { name: 'close-delimited', match: { path: '/close-delimited' }, cluster: 'close-delimited' },
      { name: 'http10', match: { path: '/http10' }, cluster: 'http10' },
    ],
    clusters: [{ name: 'close-delimited', endpoints: [closeDelimited.endpoint] }, { name: 'http10', endpoints: [http10.endpoint] }],
  }));
  const agent = keepAliveAgent(t);
  const first = await httpRequest(remora.ports.main!, { path: '/close-delimited', agent });
  assert.equal(first.status, 200);
  assert.equal(sha256(first.body), sha256(body));
  const second = await httpRequest(remora.ports.main!, { path: '/http10', agent });
  assert.equal(second.status, 200);
  assert.equal(second.body.toString(), 'old-school');
  assert.equal(first.localPort, second.localPort, 'the client connection stays open across both');
});
