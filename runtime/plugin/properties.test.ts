import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeProperty, parsePairs } from '../../abi/index.ts';
import { httpProperty, tcpProperty } from './properties.ts';
import type { ConnectionInfo, StreamInfo } from '../filter/types.ts';

const info = {
  requestId: 'rid-1',
  listener: 'main',
  protocol: 'HTTP/1.1',
  scheme: 'http',
  sourceAddress: '::ffff:10.0.0.7',
  sourcePort: 53210,
  destinationAddress: '::1',
  destinationPort: 4143,
  connectionId: 9,
  tls: false,
  tlsVersion: undefined,
  serverName: undefined,
  startTime: 1_700_000_000_000,
  routeName: 'api',
  clusterName: 'app',
  upstreamAddress: '127.0.0.1:8080',
  responseCode: 201,
  responseCodeDetails: 'via_upstream',
  requestBodyBytes: 5,
  responseBodyBytes: 7,
  upstreamResponseTime: 1_700_000_000_012,
  endTime: 1_700_000_000_020,
  requestHeaders: [[':method', 'POST'], [':path', '/a/b?x=1&y=2'], [':authority', 'svc'], [':scheme', 'http'], ['x-k', '1'], ['x-k', '2'], ['content-length', '5']],
  responseHeaders: [[':status', '201'], ['grpc-status', '0']],
  responseTrailers: undefined,
} as unknown as StreamInfo;

const enc = (path: string) => {
  const v = httpProperty(path.split('.'), info);
  return v === undefined ? undefined : Buffer.from(encodeProperty(v));
};
const int = (n: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
};

test('request attributes from the request map, with Envoy encodings', () => {
  assert.equal(enc('request.path')!.toString(), '/a/b?x=1&y=2');
  assert.equal(enc('request.url_path')!.toString(), '/a/b');
  assert.equal(enc('request.query')!.toString(), 'x=1&y=2');
  assert.equal(enc('request.host')!.toString(), 'svc');
  assert.equal(enc('request.method')!.toString(), 'POST');
  assert.equal(enc('request.protocol')!.toString(), 'HTTP/1.1');
  assert.equal(enc('request.headers.x-k')!.toString(), '1,2', 'repeated headers comma-joined');
  assert.deepEqual(parsePairs(enc('request.headers')!), [['x-k', '1,2'], ['content-length', '5']]);
  assert.deepEqual(enc('request.size'), int(5));
  assert.deepEqual(enc('request.time'), int(1_700_000_000_000_000_000n));
  assert.deepEqual(enc('request.duration'), int(20 * 1e6));
  assert.equal(enc('request.id')!.toString(), 'rid-1');
  assert.equal(enc('request.nope'), undefined);
});

test('response, connection, upstream and xds attributes', () => {
  assert.deepEqual(enc('response.code'), int(201));
  assert.deepEqual(enc('response.grpc_status'), int(0));
  assert.equal(enc('response.code_details')!.toString(), 'via_upstream');
  assert.deepEqual(enc('response.backend_latency'), int(12 * 1e6));
  assert.equal(enc('source.address')!.toString(), '10.0.0.7:53210', 'IPv4-mapped shown as IPv4, with port');
  assert.deepEqual(enc('source.port'), int(53210));
  assert.equal(enc('destination.address')!.toString(), '[::1]:4143');
  assert.equal(enc('upstream.address')!.toString(), '127.0.0.1:8080');
  assert.deepEqual(enc('upstream.port'), int(8080));
  assert.equal(enc('xds.route_name')!.toString(), 'api');
  assert.equal(enc('xds.cluster_name')!.toString(), 'app');
  assert.deepEqual(enc('connection.mtls'), Buffer.from([0]));
  assert.deepEqual(enc('connection_id'), int(9));
});

test('TCP connections expose the connection attributes', () => {
  const c = { listener: 'main', connectionId: 3, sourceAddress: '127.0.0.1', sourcePort: 1, destinationAddress: '127.0.0.1', destinationPort: 2, clusterName: 'echo', upstreamAddress: undefined, startTime: 0, bytesIn: 0, bytesOut: 0 } as ConnectionInfo;
  assert.equal(Buffer.from(encodeProperty(tcpProperty(['source', 'address'], c)!)).toString(), '127.0.0.1:1');
  assert.equal(tcpProperty(['request', 'path'], c), undefined);
  assert.equal(Buffer.from(encodeProperty(tcpProperty(['xds', 'cluster_name'], c)!)).toString(), 'echo');
});
