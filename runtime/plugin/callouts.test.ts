// Callout clients against real upstreams (no Remora process): HTTP/1 and h2c via the cluster's
// protocol, gRPC unary, server streaming and failures with node:http2 framing.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CalloutEndpoints } from './cluster-endpoints.ts';
import { startHttpCallout } from './http-callout.ts';
import { startGrpc } from './grpc-callout.ts';
import { startGrpcUpstream, FAIL_MESSAGE, FAIL_TRAILER } from '../../test/support/grpc.ts';
import { startH2cUpstream, startHttp1Upstream } from '../../test/support/upstreams.ts';
import type { Config } from '../config/types.ts';
import type { GrpcEvents, HttpCallResponse, HeaderPairs } from '../../abi/index.ts';

function configWith(clusters: Array<{ name: string; endpoints: string[]; protocol?: 'http1' | 'http2' }>): Config {
  return { clusters: clusters.map((c) => ({ protocol: 'http1', connectTimeoutMs: 1000, maxConnectionsPerEndpoint: 8, ...c })) } as unknown as Config;
}

function call(endpoints: CalloutEndpoints, cluster: string, headers: HeaderPairs, timeoutMs = 0, body = '') {
  return new Promise<HttpCallResponse | undefined | string>((resolve) => {
    const r = startHttpCallout(endpoints, { cluster, headers, body: Buffer.from(body), trailers: [], timeoutMs }, resolve);
    if (typeof r === 'string' && r !== 'ok') resolve(r);
  });
}

const get = (m: HeaderPairs, k: string) => m.find(([n]) => n === k)?.[1];

describe('http callouts', async () => {
  const h1 = await startHttp1Upstream({ name: 'h1' });
  const h2 = await startH2cUpstream({ name: 'h2' });
  const slow = createServer((_req, res) => setTimeout(() => res.end('late'), 2000).unref());
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const slowPort = (slow.address() as AddressInfo).port;
  const endpoints = new CalloutEndpoints(configWith([
    { name: 'h1', endpoints: [h1.endpoint] },
    { name: 'h2', endpoints: [h2.endpoint], protocol: 'http2' },
    { name: 'slow', endpoints: [`127.0.0.1:${slowPort}`] },
    { name: 'dead', endpoints: ['127.0.0.1:1'] },
  ]));
  after(async () => {
    await endpoints.close();
    await Promise.all([h1.close(), h2.close()]);
    slow.closeAllConnections();
    slow.close();
  });
  const req: HeaderPairs = [[':method', 'POST'], [':path', '/echo?q=1'], [':authority', 'svc.local'], ['x-a', '1']];

  it('HTTP/1 and h2c clusters: method, path, authority as Host, headers and body reach the upstream', async () => {
    for (const name of ['h1', 'h2']) {
      const res = (await call(endpoints, name, req, 0, 'body!')) as HttpCallResponse;
      assert.equal(get(res.headers, ':status'), '200', name);
      const echo = JSON.parse(Buffer.from(res.body).toString());
      assert.equal(echo.method, 'POST');
      assert.equal(echo.url, '/echo?q=1');
      assert.equal(echo.headers['x-a'], '1');
      assert.equal(echo.headers.host ?? echo.headers[':authority'], 'svc.local');
      assert.equal(echo.body, 'body!');
    }
  });

  it('unknown cluster is refused; timeouts answer 504 and refused connections 503, as Envoy', async () => {
    assert.equal(await call(endpoints, 'nope', req), 'unknown-cluster');
    const timedOut = (await call(endpoints, 'slow', req, 100)) as HttpCallResponse;
    assert.equal(get(timedOut.headers, ':status'), '504');
    const refused = (await call(endpoints, 'dead', req)) as HttpCallResponse;
    assert.equal(get(refused.headers, ':status'), '503');
  });
});

describe('gRPC callouts', async () => {
  const upstream = await startGrpcUpstream();
  const endpoints = new CalloutEndpoints(configWith([{ name: 'grpc', endpoints: [upstream.endpoint], protocol: 'http2' }]));
  after(async () => {
    await endpoints.close();
    await upstream.close();
  });
  // EchoRequest{text: "hi", count: 2}
  const request = Buffer.from([0x0a, 0x02, 0x68, 0x69, 0x10, 0x02]);

  function run(method: string, streaming: boolean) {
    const seen: string[] = [];
    const messages: Buffer[] = [];
    let trailing: HeaderPairs = [];
    return new Promise<{ seen: string[]; messages: Buffer[]; status: number; message: string; trailing: HeaderPairs }>((resolve) => {
      const events: GrpcEvents = {
        initialMetadata: () => seen.push('initial'),
        message: (m) => {
          seen.push('message');
          messages.push(Buffer.from(m));
        },
        trailingMetadata: (md) => {
          seen.push('trailing');
          trailing = md;
        },
        close: (status, message) => resolve({ seen, messages, status, message, trailing }),
      };
      const h = startGrpc(endpoints, { cluster: 'grpc', service: 'remora.test.Echo', method, initialMetadata: [['x-md', 'v']], message: request, timeoutMs: 5000 }, events, streaming);
      if (streaming && typeof h === 'object') h.send(request, true);
    });
  }

  it('unary: the reply message then status 0; metadata reaches the server', async () => {
    const r = await run('Unary', false);
    assert.equal(r.status, 0);
    assert.equal(r.messages.length, 1);
    assert.deepEqual(r.messages[0]!.subarray(0, 4), Buffer.from([0x0a, 0x02, 0x68, 0x69]), 'EchoReply{text: "hi"}');
    assert.deepEqual(r.seen, ['message'], 'unary calls report no metadata events');
    assert.equal(upstream.calls.at(-1)!.metadata['x-md'], 'v');
  });

  it('failure: status and message from the trailers; streams also get trailing metadata', async () => {
    const r = await run('Fail', true);
    assert.equal(r.status, 7);
    assert.equal(r.message, FAIL_MESSAGE);
    assert.equal(get(r.trailing, FAIL_TRAILER.key), FAIL_TRAILER.value);
  });

  it('a stream opened with grpc_stream receives every message', async () => {
    const seen: Buffer[] = [];
    const done = new Promise<number>((resolve) => {
      const h = startGrpc(endpoints, { cluster: 'grpc', service: 'remora.test.Echo', method: 'ServerStream', initialMetadata: [], message: new Uint8Array(0), timeoutMs: 0 }, {
        initialMetadata() {},
        message: (m) => seen.push(Buffer.from(m)),
        trailingMetadata() {},
        close: (s) => resolve(s),
      }, true);
      assert.equal(typeof h, 'object');
      if (typeof h === 'object') h.send(request, true);
    });
    assert.equal(await done, 0);
    assert.equal(seen.length, 2);
    assert.ok(seen[0]!.includes(Buffer.from('hi-0')));
  });
});
