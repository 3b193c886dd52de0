// HTTP/1.1 through a real Proxy to real upstreams: headers, streaming, trailers, 100-continue, upgrades,
// bodiless responses, proxy errors and malformed input.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import type { Started } from './testing.ts';
import { cluster, config, deadAddress, echoHandler, httpUpstream, listener, route, startProxy } from './testing.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: string;
}

function request(url: string, opts: http.RequestOptions & { body?: string | Buffer } = {}, agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: agent ?? false, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Sends raw bytes and collects everything until the server closes. */
function raw(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
  });
}

describe('HTTP/1.1 proxying', () => {
  let up: Awaited<ReturnType<typeof httpUpstream>>;
  let special: Awaited<ReturnType<typeof httpUpstream>>;
  let p: Started;
  let release: (() => void) | undefined;

  before(async () => {
    up = await httpUpstream(echoHandler);
    special = await httpUpstream((req, res) => {
      switch (req.url) {
        case '/stream':
          // First chunk now, the rest only after the test saw the first one through the proxy.
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('first;');
          release = () => res.end('second');
          return;
        case '/trailers':
          res.writeHead(200, { trailer: 'x-checksum' });
          res.write('body');
          res.addTrailers({ 'x-checksum': 'abc123' });
          res.end();
          return;
        case '/nocontent':
          res.writeHead(204, { 'x-kind': 'empty' });
          res.end();
          return;
        case '/notmodified':
          res.writeHead(304, { etag: '"v1"' });
          res.end();
          return;
        case '/slow':
          setTimeout(() => res.end('late'), 1_000);
          return;
        case '/reset-before':
          req.socket.destroy();
          return;
        case '/reset-mid':
          res.writeHead(200, { 'content-length': '100' });
          res.write('partial');
          setTimeout(() => req.socket.destroy(), 20);
          return;
        case '/early-413':
          // Answers before reading the body, then closes (what upload limits do).
          res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
          res.end('too big');
          return;
        case '/upload': {
          // Answers as soon as the first request chunk arrives: proves the request body streams.
          req.once('data', (c: Buffer) => {
            res.writeHead(200);
            res.write(`got:${c.toString()}`);
            req.on('end', () => res.end(';end'));
            req.resume();
          });
          return;
        }
        default:
          echoHandler(req, res);
      }
    });
    const dead = await deadAddress();
    p = await startProxy(
      config(
        [
          listener('in', [
            route('dead', 'dead', { match: { pathPrefix: '/dead' } }),
            route('timeout', 'special', { match: { path: '/slow' }, timeoutMs: 100 }),
            route('special', 'special', { match: { pathRegex: '/(stream|trailers|nocontent|notmodified|reset-before|reset-mid|upload|early-413)' } }),
            route('echo', 'echo', { match: { pathPrefix: '/echo' } }),
          ]),
        ],
        [cluster('echo', [up.address]), cluster('special', [special.address]), cluster('dead', [dead])],
        true,
      ),
    );
  });

  after(async () => {
    await p.close();
    await up.close();
    await special.close();
  });

  it('forwards method, path and body and adds the forwarding headers', async () => {
    const r = await request(`${p.url()}/echo/a?b=1`, { method: 'PUT', body: 'hello', headers: { 'x-custom': 'yes' } });
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body);
    assert.equal(seen.method, 'PUT');
    assert.equal(seen.url, '/echo/a?b=1');
    assert.equal(seen.body, 'hello');
    assert.equal(seen.headers['x-custom'], 'yes');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers.via, '1.1 remora');
    assert.match(seen.headers['x-request-id'], /^[0-9a-f-]{36}$/);
    assert.equal(seen.headers.host, `127.0.0.1:${p.port()}`);
    assert.equal(r.headers.via, '1.1 remora');
  });

  it('strips hop-by-hop headers, including names listed in Connection, and keeps a given request id', async () => {
    const reply = await raw(
      p.port(),
      'GET /echo HTTP/1.1\r\nHost: svc\r\nConnection: close, x-secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n' +
        'Proxy-Connection: keep-alive\r\nTE: gzip\r\nUpgrade-Insecure-Requests: 1\r\nX-Request-Id: given\r\n' +
        'X-Forwarded-For: 10.0.0.1\r\nVia: 1.0 edge\r\n\r\n',
    );
    const seen = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    assert.equal(seen.headers['x-secret'], undefined);
    assert.equal(seen.headers['keep-alive'], undefined);
    assert.equal(seen.headers['proxy-connection'], undefined);
    assert.equal(seen.headers.te, undefined);
    assert.equal(seen.headers['upgrade-insecure-requests'], '1');
    assert.equal(seen.headers['x-request-id'], 'given');
    assert.equal(seen.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
    assert.equal(seen.headers.via, '1.0 edge, 1.1 remora');
    assert.equal(seen.headers.host, 'svc');
  });

  it('accepts an absolute-form target: routes by its path, forwards origin-form with its authority as Host', async () => {
    const reply = await raw(p.port(), 'GET http://user@svc.example:81/echo/abs?x=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n');
    const seen = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    assert.equal(seen.url, '/echo/abs?x=1');
    assert.equal(seen.headers.host, 'svc.example:81');
  });

  it('keeps the downstream connection alive across requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`${p.url()}/echo/${i}`, { agent }, (res) => {
          ports.add(req.socket?.localPort ?? 0);
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
      });
    }
    agent.destroy();
    assert.equal(ports.size, 1);
  });

  it('streams the response without buffering it', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve) => http.get(`${p.url()}/stream`, { agent: false }, resolve));
    const [first] = (await once(res, 'data')) as [Buffer];
    assert.equal(first.toString(), 'first;');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    (release as () => void)();
    let rest = '';
    for await (const c of res) rest += c;
    assert.equal(rest, 'second');
  });

  it('streams the request body without buffering it (chunked upload)', async () => {
    const req = http.request(`${p.url()}/upload`, { method: 'POST', agent: false });
    req.write('part1');
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    const [first] = (await once(res, 'data')) as [Buffer];
    assert.equal(first.toString(), 'got:part1');
    req.end('part2');
    let rest = '';
    for await (const c of res) rest += c;
    assert.equal(rest, ';end');
  });

  it("relays an upstream's early answer to a large upload instead of a 502", async () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 97);
    for (let i = 0; i < 3; i++) {
      const r = await request(`${p.url()}/early-413`, { method: 'POST', body, headers: { 'content-length': String(body.length) } });
      assert.equal(`${r.status} ${r.body}`, '413 too big');
    }
  });

  it('relays response trailers', async () => {
    const r = await request(`${p.url()}/trailers`);
    assert.equal(r.body, 'body');
    assert.equal(r.trailers['x-checksum'], 'abc123');
  });

  it('forwards request trailers to an HTTP/1 upstream', async () => {
    const req = http.request(`${p.url()}/echo/req-trailers`, {
      method: 'POST',
      agent: false,
      headers: { trailer: 'x-client-trailer', te: 'trailers', 'transfer-encoding': 'chunked' },
    });
    req.write('with trailer');
    req.addTrailers({ 'x-client-trailer': 'from-client' });
    req.end();
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    let body = '';
    for await (const c of res) body += c;
    const seen = JSON.parse(body);
    assert.equal(seen.body, 'with trailer');
    assert.equal(seen.trailers['x-client-trailer'], 'from-client');
  });

  it('answers 100-continue itself and forwards the body', async () => {
    const req = http.request(`${p.url()}/echo/continue`, {
      method: 'POST',
      agent: false,
      headers: { expect: '100-continue', 'content-length': '4' },
    });
    await once(req, 'continue');
    req.end('data');
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    let body = '';
    for await (const c of res) body += c;
    const seen = JSON.parse(body);
    assert.equal(seen.body, 'data');
    assert.equal(seen.headers.expect, undefined);
  });

  it('returns HEAD, 204 and 304 responses without bodies', async () => {
    const head = await request(`${p.url()}/echo/head`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.ok(Number(head.headers['content-length']) > 0);
    const nc = await request(`${p.url()}/nocontent`);
    assert.equal(nc.status, 204);
    assert.equal(nc.headers['x-kind'], 'empty');
    assert.equal(nc.body, '');
    const nm = await request(`${p.url()}/notmodified`);
    assert.equal(nm.status, 304);
    assert.equal(nm.headers.etag, '"v1"');
  });

  it('passes WebSocket upgrades through as a tunnel', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    wss.on('connection', (ws, req) => {
      ws.send(`hello ${req.headers['x-forwarded-for']}`);
      ws.on('message', (m) => ws.send(`echo:${m}`));
    });
    const port = (wss.address() as net.AddressInfo).port;
    const q = await startProxy(config([listener('ws', [route('ws', 'ws')])], [cluster('ws', [`127.0.0.1:${port}`])]));
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${q.port()}/socket`);
      const messages: string[] = [];
      ws.on('message', (m) => messages.push(m.toString()));
      await once(ws, 'open');
      ws.send('ping');
      while (messages.length < 2) await once(ws, 'message');
      assert.deepEqual(messages, ['hello 127.0.0.1', 'echo:ping']);
      ws.close();
      await once(ws, 'close');
    } finally {
      await q.close();
      wss.close();
    }
  });

  it('declines an h2c upgrade and answers the request as plain HTTP/1.1', async () => {
    const reply = await raw(
      p.port(),
      'GET /echo/h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n',
    );
    assert.match(reply, /^HTTP\/1\.1 200 /);
    const seen = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    assert.equal(seen.url, '/echo/h2c');
    assert.equal(seen.headers.upgrade, undefined);
    assert.equal(seen.headers['http2-settings'], undefined);
  });

  it('answers 404 with remora-proxy-error when no route matches', async () => {
    const r = await request(`${p.url()}/nowhere`);
    assert.equal(r.status, 404);
    assert.equal(r.headers['remora-proxy-error'], 'no route');
  });

  it('answers 503 when the upstream refuses connections', async () => {
    const r = await request(`${p.url()}/dead`);
    assert.equal(r.status, 503);
    assert.equal(r.headers['remora-proxy-error'], 'upstream connect failed');
  });

  it('answers 504 after the route timeout', async () => {
    const r = await request(`${p.url()}/slow`);
    assert.equal(r.status, 504);
    assert.equal(r.headers['remora-proxy-error'], 'upstream timeout');
  });

  it('answers 502 when the upstream resets before the response head', async () => {
    const r = await request(`${p.url()}/reset-before`);
    assert.equal(r.status, 502);
    assert.equal(r.headers['remora-proxy-error'], 'upstream reset');
  });

  it('aborts the downstream response when the upstream resets mid-body, then serves the next request', async () => {
    await assert.rejects(request(`${p.url()}/reset-mid`));
    const r = await request(`${p.url()}/echo/after`);
    assert.equal(r.status, 200);
  });

  it('writes one access log line per request', async () => {
    await request(`${p.url()}/echo/logged`, { headers: { 'x-request-id': 'log-me' } });
    const line = p.records.find((r) => r.msg === 'access' && r.requestId === 'log-me');
    assert.ok(line);
    assert.equal(line.route, 'echo');
    assert.equal(line.cluster, 'echo');
    assert.equal(line.status, 200);
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/echo/logged');
    assert.equal(typeof line.durationMs, 'number');
    assert.ok((line.bytesOut as number) > 0);
  });

  it('logs "listener ready" with the bound address', () => {
    const ready = p.records.find((r) => r.msg === 'listener ready');
    assert.ok(ready);
    assert.equal(ready.listener, 'in');
    assert.equal(ready.address, `127.0.0.1:${p.port()}`);
  });
});

describe('HTTP/1.1 malformed input', () => {
  let up: Awaited<ReturnType<typeof httpUpstream>>;
  let p: Started;
  let hits = 0;

  before(async () => {
    up = await httpUpstream((req, res) => {
      hits++;
      echoHandler(req, res);
    });
    p = await startProxy(config([listener('in', [route('all', 'app')], { maxHeaderBytes: 4096 })], [cluster('app', [up.address])]));
  });

  after(async () => {
    await p.close();
    await up.close();
  });

  it('answers 431 to a head over maxHeaderBytes and keeps serving', async () => {
    const reply = await raw(p.port(), `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 431 /);
    assert.match(reply, /remora-proxy-error: request headers too large/);
    const ok = await request(`${p.url()}/fine`);
    assert.equal(ok.status, 200);
    // accessLog is off in this config: no access lines.
    assert.equal(p.records.filter((r) => r.msg === 'access').length, 0);
  });

  it('answers 400 to a malformed request line', async () => {
    const reply = await raw(p.port(), 'GET /a b c HTTP/9.9\r\nHost: x\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 400 /);
  });

  it('rejects Content-Length with Transfer-Encoding (no smuggling) and closes the connection', async () => {
    const before = hits;
    const reply = await raw(
      p.port(),
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.doesNotMatch(reply, /smuggled/);
    assert.equal(hits, before);
  });
});
