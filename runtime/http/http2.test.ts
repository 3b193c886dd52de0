// HTTP/2 (h2c and TLS) and gRPC through a real Proxy: protocol translation both ways, trailers, large
// bodies under flow control, resets, header-list limits.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { Started } from './testing.ts';
import { cluster, config, echoHandler, httpUpstream, listener, route, startProxy } from './testing.ts';

interface H2Reply {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders | undefined;
  body: Buffer;
}

function h2request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer | string,
  trailers?: http2.OutgoingHttpHeaders,
): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined, waitForTrailers: trailers !== undefined });
    if (trailers !== undefined) stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    let head: http2.IncomingHttpHeaders = {};
    let tr: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (head = h));
    stream.on('trailers', (t) => (tr = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ headers: head, trailers: tr, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

/** h2c upstream: echoes the body, reports request trailers in response trailers, special paths. */
async function h2Upstream(): Promise<{ server: http2.Http2Server; address: string; close(): Promise<void> }> {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const path = headers[':path'];
    stream.on('error', () => {});
    if (path === '/reset-mid') {
      stream.respond({ ':status': 200 });
      stream.write('partial');
      // Kill the upstream connection mid-body (node's stream.close(code) after a write ends the stream cleanly).
      setTimeout(() => stream.session?.socket.destroy(), 20);
      return;
    }
    let size = 0;
    const chunks: Buffer[] = [];
    let reqTrailers: http2.IncomingHttpHeaders = {};
    stream.on('trailers', (t) => (reqTrailers = t));
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (path !== '/big') chunks.push(c);
    });
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'x-seen-authority': String(headers[':authority']), 'x-seen-via': String(headers.via) }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-size': String(size), 'x-req-trailer': String(reqTrailers['x-client-sum'] ?? '') }));
      if (path === '/big') stream.end(Buffer.alloc(size, 7));
      else stream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('HTTP/2', () => {
  let h1: Awaited<ReturnType<typeof httpUpstream>>;
  let h2: Awaited<ReturnType<typeof h2Upstream>>;
  let p: Started;
  let session: http2.ClientHttp2Session;

  before(async () => {
    h1 = await httpUpstream(echoHandler);
    h2 = await h2Upstream();
    p = await startProxy(
      config(
        [
          listener(
            'in',
            [route('to-h2', 'h2', { match: { pathPrefix: '/h2' } }), route('upstream-h2', 'h2', { match: { pathRegex: '/(big|reset-mid)' } }), route('to-h1', 'h1')],
            { maxHeaderBytes: 8192 },
          ),
        ],
        [cluster('h1', [h1.address]), cluster('h2', [h2.address], { protocol: 'http2' })],
      ),
    );
    session = http2.connect(p.url());
  });

  after(async () => {
    session.close();
    await p.close();
    await h1.close();
    await h2.close();
  });

  it('carries h2c downstream to an HTTP/1 cluster', async () => {
    const r = await h2request(session, { ':method': 'POST', ':path': '/echo?q=1', 'x-a': 'b' }, 'payload');
    assert.equal(r.headers[':status'], 200);
    assert.equal(r.headers.via, '2 remora');
    const seen = JSON.parse(r.body.toString());
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/echo?q=1');
    assert.equal(seen.body, 'payload');
    assert.equal(seen.headers.host, `127.0.0.1:${p.port()}`);
    assert.equal(seen.headers['x-a'], 'b');
    assert.equal(seen.headers.via, '2 remora');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.ok(p.metrics.opened.some((o) => o.listener === 'in' && o.protocol === 'http2'));
  });

  it('joins HTTP/2 cookie fields into one cookie header for an HTTP/1 upstream', async () => {
    const r = await h2request(session, { ':path': '/echo/cookies', cookie: ['a=1', 'b=2'] });
    assert.equal(JSON.parse(r.body.toString()).headers.cookie, 'a=1; b=2');
  });

  it('carries request and response trailers h2 → h2', async () => {
    const r = await h2request(session, { ':method': 'POST', ':path': '/h2/echo', te: 'trailers' }, 'abc', { 'x-client-sum': '42' });
    assert.equal(r.body.toString(), 'abc');
    assert.equal(r.headers['x-seen-authority'], `127.0.0.1:${p.port()}`);
    assert.equal(r.trailers?.['x-size'], '3');
    assert.equal(r.trailers?.['x-req-trailer'], '42');
  });

  it('carries HTTP/1 downstream to an http2 cluster, with trailers both ways', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${p.url()}/h2/from-h1`, {
        method: 'POST',
        agent: false,
        headers: { trailer: 'x-client-sum', 'transfer-encoding': 'chunked' },
      });
      req.on('response', resolve);
      req.on('error', reject);
      req.write('hello');
      req.addTrailers({ 'x-client-sum': '7' });
      req.end();
    });
    let body = '';
    for await (const c of res) body += c;
    assert.equal(res.statusCode, 200);
    assert.equal(body, 'hello');
    assert.equal(res.headers['x-seen-via'], '1.1 remora');
    assert.equal(res.trailers['x-size'], '5');
    assert.equal(res.trailers['x-req-trailer'], '7');
  });

  it('moves large bodies both ways under flow control', async () => {
    const big = Buffer.alloc(6 * 1024 * 1024, 1);
    const r = await h2request(session, { ':method': 'POST', ':path': '/big' }, big);
    assert.equal(r.body.length, big.length);
    assert.equal(r.trailers?.['x-size'], String(big.length));
  });

  it('resets the downstream stream when the upstream resets mid-response, and the session keeps working', async () => {
    await assert.rejects(h2request(session, { ':path': '/reset-mid' }), /RST_STREAM|stream/i);
    const r = await h2request(session, { ':path': '/echo/again' });
    assert.equal(r.headers[':status'], 200);
  });

  it('answers 431 to a header list over maxHeaderBytes and keeps the session', async () => {
    const r = await h2request(session, { ':path': '/echo', 'x-big': 'a'.repeat(9_000) });
    assert.equal(r.headers[':status'], 431);
    assert.equal(r.headers['remora-proxy-error'], 'request headers too large');
    const ok = await h2request(session, { ':path': '/echo/after-big' });
    assert.equal(ok.headers[':status'], 200);
  });
});

describe('gRPC through Remora', () => {
  const service = {
    echo: {
      path: '/test.Echo/Echo',
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
    collect: {
      path: '/test.Echo/Collect',
      requestStream: true,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  } as const;
  let server: grpc.Server;
  let p: Started;
  let client: grpc.Client & Record<string, Function>;

  before(async () => {
    server = new grpc.Server();
    server.addService(service as unknown as grpc.ServiceDefinition, {
      echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const text = call.request.toString();
        if (text === 'fail') cb({ code: grpc.status.NOT_FOUND, details: 'nothing here' });
        else cb(null, Buffer.from(`echo:${text}`));
      },
      collect: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const parts: string[] = [];
        call.on('data', (b: Buffer) => parts.push(b.toString()));
        call.on('end', () => cb(null, Buffer.from(parts.join('+'))));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    p = await startProxy(config([listener('in', [route('grpc', 'grpc')])], [cluster('grpc', [`127.0.0.1:${port}`], { protocol: 'http2' })]));
    const Ctor = grpc.makeGenericClientConstructor(service as unknown as grpc.ServiceDefinition, 'Echo');
    client = new Ctor(`127.0.0.1:${p.port()}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, Function>;
  });

  after(async () => {
    client.close();
    await p.close();
    server.forceShutdown();
  });

  it('carries a unary call', async () => {
    const reply = await new Promise<Buffer>((resolve, reject) =>
      client.echo(Buffer.from('hi'), (err: Error | null, r: Buffer) => (err ? reject(err) : resolve(r))),
    );
    assert.equal(reply.toString(), 'echo:hi');
  });

  it('delivers grpc-status and message from trailers intact', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve) => client.echo(Buffer.from('fail'), (e: grpc.ServiceError) => resolve(e)));
    assert.equal(err.code, grpc.status.NOT_FOUND);
    assert.equal(err.details, 'nothing here');
  });

  it('carries a client-streaming call', async () => {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const call = client.collect((err: Error | null, r: Buffer) => (err ? reject(err) : resolve(r)));
      call.write(Buffer.from('a'));
      call.write(Buffer.from('b'));
      call.end();
    });
    assert.equal(reply.toString(), 'a+b');
  });
});

describe('TLS termination', () => {
  let dir: string;
  let up: Awaited<ReturnType<typeof httpUpstream>>;
  let p: Started;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'remora-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=localhost',
    ], { stdio: 'ignore' });
    up = await httpUpstream(echoHandler);
    p = await startProxy(
      config(
        [listener('tls', [route('all', 'app')], { tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } })],
        [cluster('app', [up.address])],
      ),
    );
  });

  after(async () => {
    await p.close();
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTP/2 when ALPN picks h2', async () => {
    const s = http2.connect(`https://127.0.0.1:${p.port()}`, { rejectUnauthorized: false });
    const r = await h2request(s, { ':path': '/over-h2' });
    s.close();
    const seen = JSON.parse(r.body.toString());
    assert.equal(seen.url, '/over-h2');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(r.headers.via, '2 remora');
    assert.ok(p.metrics.opened.some((o) => o.protocol === 'tls'));
  });

  it('serves HTTP/1.1 when ALPN picks http/1.1', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`https://127.0.0.1:${p.port()}/over-h1`, { rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], agent: false } as https.RequestOptions, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve(b));
        })
        .on('error', reject);
    });
    const seen = JSON.parse(body);
    assert.equal(seen.url, '/over-h1');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers.via, '1.1 remora');
  });

  it('leaves plaintext HTTP/1 working on the same listener', async () => {
    const res = await fetch(`${p.url()}/plain`);
    const seen = (await res.json()) as { url: string };
    assert.equal(seen.url, '/plain');
  });
});


describe('HTTP/2 idle sessions', () => {
  it('closes a session with no open streams after idleTimeoutMs', async () => {
    const up = await httpUpstream(echoHandler);
    const p = await startProxy(config([listener('in', [route('all', 'app')], { idleTimeoutMs: 100 })], [cluster('app', [up.address])]));
    try {
      const s = http2.connect(p.url());
      const r = await h2request(s, { ':path': '/once' });
      assert.equal(r.headers[':status'], 200);
      await new Promise<void>((resolve) => s.once('close', () => resolve()));
      assert.equal(s.closed, true);
    } finally {
      await p.close();
      await up.close();
    }
  });
});

describe('HTTP/2 client cancel', () => {
  it('passes an RST_STREAM from the client on to the upstream request', async () => {
    let closedUpstream = 0;
    let drip: NodeJS.Timeout | undefined;
    const up = await httpUpstream((req, res) => {
      if (req.url !== '/drip') return echoHandler(req, res);
      res.writeHead(200, { 'content-type': 'text/plain' });
      drip = setInterval(() => res.write('drop;'), 10);
      res.on('close', () => {
        clearInterval(drip);
        closedUpstream++;
      });
    });
    const p = await startProxy(config([listener('in', [route('all', 'app')])], [cluster('app', [up.address])]));
    const s = http2.connect(p.url());
    try {
      const stream = s.request({ ':path': '/drip' });
      stream.on('error', () => {});
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      // Bounded wait: without the cancel passed on, the upstream response drips forever.
      for (let i = 0; i < 500 && closedUpstream === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(closedUpstream, 1);
      const after = await h2request(s, { ':path': '/after' });
      assert.equal(after.headers[':status'], 200);
    } finally {
      clearInterval(drip);
      s.destroy();
      await p.close();
      await up.close();
    }
  });
});
