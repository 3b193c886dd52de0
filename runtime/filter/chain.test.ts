// Filter chain semantics through real sockets, with small TypeScript filters standing in for plugins.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Started } from '../http/testing.ts';
import { cluster, config, echoHandler, httpUpstream, listener, route, startProxy } from '../http/testing.ts';
import type { FilterFactory, HeaderMap, HttpFilter, HttpStreamControl, TcpConnectionControl, TcpFilter } from './types.ts';
import { FilterStatus } from './types.ts';

function get(map: HeaderMap, name: string): string | undefined {
  return map.find((h) => h[0] === name)?.[1];
}

function remove(map: HeaderMap, name: string): void {
  for (let i = map.length - 1; i >= 0; i--) if (map[i][0] === name) map.splice(i, 1);
}

function set(map: HeaderMap, name: string, value: string): void {
  remove(map, name);
  map.push([name, value]);
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, opts: http.RequestOptions & { body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, ...opts }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Records which callbacks ran, in order, across all filters of all streams. */
const calls: string[] = [];
const logged: Array<{ route?: string; cluster?: string; code?: number; requestId: string }> = [];
let created = 0;
const bodyEvents: Array<[size: number, eos: boolean]> = [];
const trailerSeen: string[] = [];

const filters: Record<string, (c: HttpStreamControl) => HttpFilter> = {
  // Adds a request header and a response header; records call order.
  tagger: (c) => ({
    onRequestHeaders(h) {
      calls.push('tagger:req');
      h.push(['x-tagged', 'yes']);
      return FilterStatus.Continue;
    },
    onResponseHeaders(h) {
      calls.push('tagger:res');
      h.push(['x-tagger-saw', get(h, ':status') ?? '']);
      return FilterStatus.Continue;
    },
    onLog() {
      logged.push({ route: c.info.routeName, cluster: c.info.clusterName, code: c.info.responseCode, requestId: c.info.requestId });
    },
  }),
  second: () => ({
    onRequestHeaders() {
      calls.push('second:req');
      return FilterStatus.Continue;
    },
    onResponseHeaders() {
      calls.push('second:res');
      return FilterStatus.Continue;
    },
  }),
  // Pauses the request at its headers and resumes 30 ms later; the body waits behind.
  pauser: (c) => ({
    onRequestHeaders(h) {
      h.push(['x-paused', '1']);
      setTimeout(() => c.resumeRequest(), 30);
      return FilterStatus.Stop;
    },
  }),
  // Buffers the whole request and response bodies and replaces them.
  replacer: () => ({
    onRequestHeaders(h) {
      remove(h, 'content-length');
      return FilterStatus.Continue;
    },
    onRequestBody(body, eos) {
      if (!eos) return FilterStatus.StopAndBuffer;
      body.bytes = Buffer.from(`[${body.bytes.toString().toUpperCase()}]`);
      return FilterStatus.Continue;
    },
    onResponseHeaders(h) {
      remove(h, 'content-length');
      return FilterStatus.Continue;
    },
    onResponseBody(body, eos) {
      if (!eos) return FilterStatus.StopAndBuffer;
      const seen = JSON.parse(body.bytes.toString()) as { body: string };
      body.bytes = Buffer.from(`replaced:${seen.body}`);
      return FilterStatus.Continue;
    },
  }),
  // Local reply from request headers for /deny; response filters still see it.
  denier: (c) => ({
    onRequestHeaders(h) {
      if (get(h, ':path') === '/deny') {
        c.sendLocalReply(403, [['x-why', 'nope']], 'denied');
        return FilterStatus.Stop;
      }
      return FilterStatus.Continue;
    },
  }),
  // Pauses, then answers locally from a timer (like an auth callout saying no).
  lateDenier: (c) => ({
    onRequestHeaders() {
      setTimeout(() => c.sendLocalReply(401, [], 'late no'), 20);
      return FilterStatus.Stop;
    },
  }),
  // Replaces the upstream's answer from the response headers callback.
  responseReplacer: (c) => ({
    onResponseHeaders() {
      c.sendLocalReply(502, [['x-replaced', '1']], 'replaced by filter');
      return FilterStatus.Stop;
    },
  }),
  // Holds the response head (and the body behind it) for 20 ms, then lets it go.
  responsePauser: (c) => ({
    onResponseHeaders(h) {
      h.push(['x-held', '1']);
      remove(h, 'content-length'); // the body grows below
      setTimeout(() => c.resumeResponse(), 20);
      return FilterStatus.Stop;
    },
    onResponseBody(body, eos) {
      if (eos) body.bytes = Buffer.concat([body.bytes, Buffer.from('|seen-after-resume')]);
      return FilterStatus.Continue;
    },
  }),
  resetter: (c) => ({
    onRequestHeaders() {
      c.resetStream('test reset');
      return FilterStatus.Stop;
    },
  }),
  // Steers to another cluster by rewriting the path; the route is matched again.
  steerer: () => ({
    onRequestHeaders(h) {
      if (get(h, 'x-steer') === 'b') set(h, ':path', '/b-side');
      return FilterStatus.Continue;
    },
  }),
  // Ends the response with a trailer computed from the body (like a checksum plugin would).
  trailerAdder: (c) => ({
    onResponseBody(body, eos) {
      if (eos) c.addResponseTrailers([['x-body-bytes', String(body.bytes.length)]]);
      return FilterStatus.Continue;
    },
  }),
  // Sees the trailers the filter after it (in response order: before it) added.
  trailerWatcher: () => ({
    onResponseTrailers(t) {
      trailerSeen.push(...t.map(([k, v]) => `${k}=${v}`));
      t.push(['x-watched', 'yes']);
      return FilterStatus.Continue;
    },
  }),
  // Records the response body events it sees (size and end of stream).
  bodyWatcher: () => ({
    onResponseBody(body, eos) {
      bodyEvents.push([body.bytes.length, eos]);
      return FilterStatus.Continue;
    },
  }),
  thrower: () => ({
    onRequestHeaders() {
      throw new Error('plugin bug');
    },
  }),
};

const factory: FilterFactory = {
  create(name, control) {
    created++;
    const make = filters[name];
    if (make === undefined) throw new Error(`unknown filter ${name}`);
    return make(control);
  },
  createTcp(name: string, control: TcpConnectionControl): TcpFilter {
    assert.equal(name, 'upper');
    let seenBytes = 0;
    return {
      onDownstreamData(data) {
        seenBytes += data.bytes.length;
        data.bytes = Buffer.from(data.bytes.toString().toUpperCase());
        return FilterStatus.Continue;
      },
      onUpstreamData(data) {
        // Holds upstream bytes until 6 arrived, then passes them all at once.
        if (data.bytes.length < 6) return FilterStatus.Stop;
        data.bytes = Buffer.concat([data.bytes, Buffer.from(`|${control.info.clusterName}|${seenBytes}`)]);
        return FilterStatus.Continue;
      },
    };
  },
};

describe('HTTP filter chain', () => {
  let a: Awaited<ReturnType<typeof httpUpstream>>;
  let b: Awaited<ReturnType<typeof httpUpstream>>;
  let p: Started;

  before(async () => {
    a = await httpUpstream(echoHandler);
    b = await httpUpstream((req, res) => {
      res.setHeader('x-side', 'b');
      echoHandler(req, res);
    });
    p = await startProxy(
      config(
        [
          listener('in', [
            route('b-side', 'b', { match: { pathPrefix: '/b-side' } }),
            route('tagged', 'a', { match: { pathPrefix: '/tag' }, plugins: ['tagger', 'second'] }),
            route('paused', 'a', { match: { pathPrefix: '/pause' }, plugins: ['pauser'] }),
            route('replaced', 'a', { match: { pathPrefix: '/replace' }, plugins: ['replacer'] }),
            route('denied', 'a', { match: { pathPrefix: '/deny' }, plugins: ['tagger', 'denier'] }),
            route('late', 'a', { match: { pathPrefix: '/late' }, plugins: ['lateDenier'] }),
            route('resp-reply', 'a', { match: { pathPrefix: '/resp-reply' }, plugins: ['tagger', 'responseReplacer'] }),
            route('resp-pause', 'a', { match: { pathPrefix: '/resp-pause' }, plugins: ['responsePauser'] }),
            route('reset', 'a', { match: { pathPrefix: '/reset' }, plugins: ['resetter'] }),
            route('steer', 'a', { match: { pathPrefix: '/steer' }, plugins: ['steerer'] }),
            route('body-watch', 'a', { match: { pathPrefix: '/body-watch' }, plugins: ['bodyWatcher'] }),
            route('trailers', 'a', { match: { pathPrefix: '/trailers' }, plugins: ['trailerWatcher', 'trailerAdder'] }),
            route('broken', 'a', { match: { pathPrefix: '/broken' }, plugins: ['thrower'] }),
            route('missing', 'a', { match: { pathPrefix: '/missing' }, plugins: ['no-such-plugin'] }),
            route('plain', 'a'),
          ]),
        ],
        [cluster('a', [a.address]), cluster('b', [b.address])],
      ),
      factory,
    );
  });

  after(async () => {
    await p.close();
    await a.close();
    await b.close();
  });

  it('runs request callbacks in order and response callbacks in reverse, changing headers both ways', async () => {
    calls.length = 0;
    const r = await request(`${p.url()}/tag`);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).headers['x-tagged'], 'yes');
    assert.equal(r.headers['x-tagger-saw'], '200');
    assert.deepEqual(calls, ['tagger:req', 'second:req', 'second:res', 'tagger:res']);
  });

  it('gives filters stream facts at log time', async () => {
    logged.length = 0;
    await request(`${p.url()}/tag/log`, { headers: { 'x-request-id': 'facts-1' } });
    assert.deepEqual(logged, [{ route: 'tagged', cluster: 'a', code: 200, requestId: 'facts-1' }]);
  });

  it('holds the request (and its body) while a filter is paused, then resumes', async () => {
    const r = await request(`${p.url()}/pause`, { method: 'POST', body: 'kept intact' });
    const seen = JSON.parse(r.body);
    assert.equal(seen.headers['x-paused'], '1');
    assert.equal(seen.body, 'kept intact');
  });

  it('buffers whole bodies with StopAndBuffer and lets the filter replace them', async () => {
    const req = http.request(`${p.url()}/replace`, { method: 'POST', agent: false });
    const done = new Promise<Reply>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
    });
    req.write('abc');
    setTimeout(() => req.end('def'), 10);
    const r = await done;
    assert.equal(r.body, 'replaced:[ABCDEF]');
  });

  it('sends a local reply without reaching the upstream, and response filters see it', async () => {
    const r = await request(`${p.url()}/deny`);
    assert.equal(r.status, 403);
    assert.equal(r.body, 'denied');
    assert.equal(r.headers['x-why'], 'nope');
    assert.equal(r.headers['x-tagger-saw'], '403');
  });

  it('sends a local reply while the request is paused', async () => {
    const r = await request(`${p.url()}/late`, { method: 'POST', body: 'ignored' });
    assert.equal(r.status, 401);
    assert.equal(r.body, 'late no');
  });

  it('replaces the upstream answer with a local reply sent from the response headers, then keeps serving', async () => {
    const r = await request(`${p.url()}/resp-reply`);
    assert.equal(r.status, 502);
    assert.equal(r.body, 'replaced by filter');
    assert.equal(r.headers['x-replaced'], '1');
    // Sent directly (Envoy: encoding had started), so the other filter's response callback did not run on it.
    assert.equal(r.headers['x-tagger-saw'], undefined);
    const again = await request(`${p.url()}/tag/again`);
    assert.equal(again.status, 200);
  });

  it('pauses the response at its headers and resumes it, body included', async () => {
    const r = await request(`${p.url()}/resp-pause`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-held'], '1');
    assert.match(r.body, /\|seen-after-resume$/);
    assert.equal(JSON.parse(r.body.replace(/\|seen-after-resume$/, '')).url, '/resp-pause');
  });

  it('resets the stream when a filter asks to, and the proxy keeps serving', async () => {
    await assert.rejects(request(`${p.url()}/reset`), /socket hang up|ECONNRESET/);
    const ok = await request(`${p.url()}/plain`);
    assert.equal(ok.status, 200);
  });

  it('matches the route again after request-header filters, so a filter can steer to another cluster', async () => {
    const steered = await request(`${p.url()}/steer`, { headers: { 'x-steer': 'b' } });
    assert.equal(steered.headers['x-side'], 'b');
    assert.equal(JSON.parse(steered.body).url, '/b-side');
    const kept = await request(`${p.url()}/steer`);
    assert.equal(kept.headers['x-side'], undefined);
  });

  it('delivers a body whose declared length completes in one read as one callback with end of stream', async () => {
    bodyEvents.length = 0;
    const r = await request(`${p.url()}/body-watch`);
    assert.equal(r.status, 200);
    assert.deepEqual(bodyEvents, [[Buffer.byteLength(r.body), true]]);
  });

  it('a filter can end a response with trailers from its last body callback; filters after it see them', async () => {
    trailerSeen.length = 0;
    const session = http2.connect(p.url());
    try {
      const got = await new Promise<{ status: number; body: string; trailers: http2.IncomingHttpHeaders }>((resolve, reject) => {
        const stream = session.request({ ':path': '/trailers/x' });
        let status = 0;
        let body = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.setEncoding('utf8');
        stream.on('data', (d: string) => (body += d));
        let trailers: http2.IncomingHttpHeaders = {};
        stream.on('trailers', (t) => (trailers = t));
        stream.on('end', () => resolve({ status, body, trailers }));
        stream.on('error', reject);
        stream.end();
      });
      assert.equal(got.status, 200);
      assert.equal(got.trailers['x-body-bytes'], String(Buffer.byteLength(got.body)));
      assert.equal(got.trailers['x-watched'], 'yes');
      assert.deepEqual(trailerSeen, [`x-body-bytes=${Buffer.byteLength(got.body)}`]);
    } finally {
      session.close();
    }
  });

  it('answers 500 with remora-proxy-error when a filter throws, and 503 when a plugin cannot be created', async () => {
    const r = await request(`${p.url()}/broken`);
    assert.equal(r.status, 500);
    assert.equal(r.headers['remora-proxy-error'], 'filter failed');
    const m = await request(`${p.url()}/missing`);
    assert.equal(m.status, 503);
    assert.equal(m.headers['remora-proxy-error'], 'filter failed');
    const ok = await request(`${p.url()}/plain`);
    assert.equal(ok.status, 200);
  });

  it('never builds a chain for routes without plugins', async () => {
    const before = created;
    await request(`${p.url()}/plain/x`);
    assert.equal(created, before);
  });
});

describe('TCP filters', () => {
  it('run on opaque TCP in both directions, holding bytes on Stop', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const port = (echo.address() as net.AddressInfo).port;
    const p = await startProxy(
      config([listener('tcp', [], { defaultCluster: 'echo', tcpPlugins: ['upper'], detectTimeoutMs: 100 })], [cluster('echo', [`127.0.0.1:${port}`])]),
      factory,
    );
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const s = net.connect(p.port(), '127.0.0.1');
        let out = '';
        s.on('data', (c) => {
          out += c;
          if (out.includes('|')) {
            s.end();
            resolve(out);
          }
        });
        s.on('error', reject);
        s.write('\x01abc');
        setTimeout(() => s.write('def'), 20);
      });
      assert.equal(got, '\x01ABCDEF|echo|7');
    } finally {
      await p.close();
      echo.close();
    }
  });
});

