// proxy-runtime properties fixture through a real Remora: Envoy attributes read with
// proxy_get_property in the request and response callbacks (strings raw, ints as 8-byte
// little-endian), NotFound for unknown paths, and a value written with proxy_set_property.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { cleanupList, startRemora } from '../support/remora.ts';
import { startHttp1Upstream, type HttpUpstream } from '../support/upstreams.ts';
import { proxyConfig } from '../support/config.ts';
import { header, plugin } from './support.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  localPort: number;
}

/** A GET that also reports the client's own port (source.port as the proxy sees it). */
function get(port: number, path: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, localPort: req.socket?.localPort ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('proxy-runtime properties plugin', () => {
  const cleanup = cleanupList();
  let upstream: HttpUpstream;
  let port: number;
  let reply: Reply;
  let sentAt: number;

  before(async () => {
    upstream = await startHttp1Upstream({ name: 'app' });
    cleanup.after(() => upstream.close());
    const remora = await startRemora(cleanup, proxyConfig({
      routes: [{ name: 'props', match: { pathPrefix: '/' }, cluster: 'app', plugins: ['props-plugin'] }],
      clusters: [{ name: 'app', endpoints: [upstream.endpoint] }],
      extra: { plugins: [plugin({ name: 'props-plugin', fixture: 'properties', rootId: 'properties', vmId: 'props-vm' })] },
    }));
    port = remora.ports.main!;
    sentAt = Date.now();
    reply = await get(port, '/some/path?a=1&b=2', { 'x-probe': 'probe-value', 'x-request-id': 'req-42' });
  });
  after(() => cleanup.run());

  const prop = (name: string) => header(reply.headers, `x-prop-${name}`);

  test('request attributes: path, url_path, method, host, scheme, protocol, id and one header', () => {
    assert.equal(reply.status, 200);
    assert.equal(prop('request-path'), '/some/path?a=1&b=2');
    assert.equal(prop('request-url-path'), '/some/path');
    assert.equal(prop('request-method'), 'GET');
    assert.equal(prop('request-host'), `127.0.0.1:${port}`);
    assert.equal(prop('request-scheme'), 'http');
    assert.equal(prop('request-protocol'), 'HTTP/1.1');
    assert.equal(prop('request-id'), 'req-42');
    assert.equal(prop('request-headers-x-probe'), 'probe-value');
  });

  test('request.time is a nanosecond timestamp of this request', () => {
    const ns = BigInt(prop('request-time')!);
    const ms = Number(ns / 1_000_000n);
    assert.ok(Math.abs(ms - sentAt) < 60_000, `request.time ${ms} far from ${sentAt}`);
  });

  test('connection attributes: source and destination address include the port, ports are ints', () => {
    assert.equal(prop('source-address'), `127.0.0.1:${reply.localPort}`);
    assert.equal(prop('source-port'), String(reply.localPort));
    assert.equal(prop('destination-address'), `127.0.0.1:${port}`);
    assert.equal(prop('destination-port'), String(port));
  });

  test('plugin attributes: plugin_name, plugin_root_id (also through the SDK getter) and plugin_vm_id', () => {
    assert.equal(header(reply.headers, 'x-sdk-plugin-name'), 'props-plugin');
    assert.equal(header(reply.headers, 'x-sdk-plugin-root-id'), 'properties');
    assert.equal(prop('plugin-vm-id'), 'props-vm');
  });

  test('response attributes: response.code as an int, a response header, upstream.address', () => {
    assert.equal(prop('response-code'), '200');
    assert.equal(prop('response-headers-x-upstream'), 'app');
    assert.equal(prop('upstream-address'), upstream.endpoint);
  });

  test('an unknown attribute is NotFound; a property set by the plugin reads back later in the stream', () => {
    assert.equal(header(reply.headers, 'x-prop-missing'), '!1');
    assert.equal(header(reply.headers, 'x-set-property-status'), '0');
    assert.equal(prop('conformance-note'), 'noted');
  });
});
