// Opaque TCP: bytes that are neither HTTP nor TLS, or no bytes within the detect timeout,
// are forwarded to the listener's default cluster.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { startRemora } from '../support/remora.ts';
import { httpRequest, json, rawExchange } from '../support/clients.ts';
import { proxyConfig } from '../support/config.ts';
import { closedPort, patternBytes, sha256, startHttp1Upstream, startTcpEchoUpstream, type EchoReply } from '../support/upstreams.ts';

const TIMEOUT = { timeout: 15_000 };

/** Reads from `socket` until `expected` bytes arrived. */
function readBytes(socket: net.Socket, expected: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= expected) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed after ${got.length} of ${expected} bytes: ${got.toString('latin1')}`)));
  });
}

// The detect timeout is short only where the test waits it out; elsewhere a starved client on a
// busy machine must not be mistaken for a silent one.
async function tcpSetup(t: import('node:test').TestContext, banner?: string, detectTimeout = '2s') {
  const tcp = await startTcpEchoUpstream({ banner });
  const web = await startHttp1Upstream();
  t.after(() => tcp.close());
  t.after(() => web.close());
  const remora = await startRemora(t, proxyConfig({
    routes: [{ name: 'web', match: { pathPrefix: '/' }, cluster: 'web' }],
    clusters: [{ name: 'web', endpoints: [web.endpoint] }, { name: 'tcp', endpoints: [tcp.endpoint] }],
    listener: { defaultCluster: 'tcp', detectTimeout },
  }));
  return { tcp, web, port: remora.ports.main! };
}

test('non-HTTP bytes go to the default cluster as opaque TCP and come back', TIMEOUT, async (t) => {
  const { tcp, web, port } = await tcpSetup(t);
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  const payload = Buffer.concat([Buffer.from([0x00, 0x01, 0xfe, 0xff]), Buffer.from(' opaque binary payload\n')]);
  socket.write(payload);
  const echoed = await readBytes(socket, payload.length);
  assert.deepEqual(echoed, payload);
  const more = Buffer.from('second write on the same connection');
  socket.write(more);
  assert.deepEqual(await readBytes(socket, more.length), more);
  assert.deepEqual(tcp.received[0], Buffer.concat([payload, more]));
  // A few MB both ways, with backpressure on both sides.
  const big = patternBytes(4 * 1024 * 1024, 5);
  const bigEcho = readBytes(socket, big.length);
  socket.write(big);
  assert.equal(sha256(await bigEcho), sha256(big));
  // Half-close: our FIN reaches the upstream, whose FIN comes back to us.
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  socket.end();
  await ended;
  // HTTP on the same listener still goes to the route's cluster.
  const reply = await httpRequest(port, { path: '/still-http' });
  assert.equal(json<EchoReply>(reply).url, '/still-http');
  assert.equal(web.requests.length, 1);
});

test('a client that sends nothing until the detect timeout is forwarded as TCP', TIMEOUT, async (t) => {
  const { tcp, port } = await tcpSetup(t, 'banner: server speaks first\n', '200ms');
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  // The banner can only reach us once Remora gave up detecting and connected the TCP upstream.
  const banner = await readBytes(socket, 'banner: server speaks first\n'.length);
  assert.equal(banner.toString(), 'banner: server speaks first\n');
  socket.write('GET / HTTP/1.1\r\n\r\n');
  const echoed = await readBytes(socket, 'GET / HTTP/1.1\r\n\r\n'.length);
  assert.equal(echoed.toString(), 'GET / HTTP/1.1\r\n\r\n', 'once forwarded as TCP, even HTTP-looking bytes stay opaque');
  assert.equal(tcp.received.length, 1);
});

test('an unreachable default cluster closes the TCP connection instead of hanging, and HTTP still works', TIMEOUT, async (t) => {
  const web = await startHttp1Upstream();
  t.after(() => web.close());
  const dead = await closedPort();
  const remora = await startRemora(t, proxyConfig({
    routes: [{ name: 'web', match: { pathPrefix: '/' }, cluster: 'web' }],
    clusters: [{ name: 'web', endpoints: [web.endpoint] }, { name: 'dead', endpoints: [`127.0.0.1:${dead}`] }],
    listener: { defaultCluster: 'dead', detectTimeout: '2s' },
  }));
  const port = remora.ports.main!;
  const result = await rawExchange(port, Buffer.from([0x00, 0x10, 0x20, 0x30]), 8000);
  assert.equal(result.closed, true, 'the client connection is closed');
  assert.equal((await httpRequest(port, { path: '/ok' })).status, 200);
});

test('an HTTP request trickling in byte by byte is still detected as HTTP', TIMEOUT, async (t) => {
  const { web, port } = await tcpSetup(t, undefined, '5s');
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('error', reject); });
  let data = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => { data += d; });
  const request = 'GET /trickle HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  // The first bytes arrive one packet each, well within the 5 s detect timeout.
  for (const byte of request.slice(0, 6)) {
    socket.write(byte);
    await new Promise((r) => setTimeout(r, 20));
  }
  socket.write(request.slice(6));
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  assert.match(data, /^HTTP\/1\.1 200 /);
  assert.match(data, /"url":"\/trickle"/);
  assert.equal(web.requests.length, 1);
});
