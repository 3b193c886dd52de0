// Protocol detection decisions on first bytes, including partial and malformed input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detect, detectOnStall } from './detect.ts';

describe('detect', () => {
  it('recognises HTTP/1 request lines, waiting for the method token to finish', () => {
    assert.equal(detect(Buffer.from('GET / HTTP/1.1\r\n')), 'http1');
    assert.equal(detect(Buffer.from('M-SEARCH * HTTP/1.1\r\n')), 'http1');
    assert.equal(detect(Buffer.from('DELE')), 'more');
  });

  it('skips empty lines before the request line, as HTTP servers do (RFC 9112 §2.2)', () => {
    assert.equal(detect(Buffer.from('\r\nGET /admin HTTP/1.1\r\n')), 'http1');
    assert.equal(detect(Buffer.from('\r\n\r\n\nGET')), 'more');
    assert.equal(detect(Buffer.from('\r\n')), 'more');
  });

  it('takes a malformed request line for HTTP/1 (node answers 400) rather than opaque TCP', () => {
    for (const text of ['G3T /admin HTTP/1.1', 'Get /admin HTTP/1.1', 'GET\t/admin HTTP/1.1', 'GET/admin HTTP/1.1', `${'A'.repeat(40)} / HTTP/1.1`]) {
      assert.equal(detect(Buffer.from(text)), 'http1', text);
    }
  });

  it('recognises the HTTP/2 preface only when complete, and waits on a prefix of it', () => {
    assert.equal(detect(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')), 'h2c');
    assert.equal(detect(Buffer.from('PRI * HTTP/2')), 'more');
    assert.equal(detect(Buffer.from('PRI * HTTP/1.1\r\n')), 'http1');
  });

  it('sends TLS ClientHello bytes to TLS and other protocols to opaque TCP', () => {
    assert.equal(detect(Buffer.from([0x16, 0x03, 0x01])), 'tls');
    assert.equal(detect(Buffer.from([0x00, 0x01])), 'tcp');
    assert.equal(detect(Buffer.from('get key\r\n')), 'tcp', 'memcached text protocol');
    assert.equal(detect(Buffer.from('*1\r\n$4\r\nPING\r\n')), 'tcp', 'Redis');
    assert.equal(detect(Buffer.from('PING\r\n')), 'tcp', 'Redis inline command');
    assert.equal(detect(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')), 'tcp', 'AMQP header');
    assert.equal(detect(Buffer.from(' GET')), 'tcp');
    assert.equal(detect(Buffer.alloc(0)), 'more');
  });

  it('a client that stalls is opaque TCP only if it sent nothing', () => {
    assert.equal(detectOnStall(undefined), 'tcp', 'server speaks first');
    assert.equal(detectOnStall(Buffer.from('GE')), 'http1', 'a slow request line stays HTTP');
    assert.equal(detectOnStall(Buffer.from('\r\n')), 'http1');
    assert.equal(detectOnStall(Buffer.from('PRI * HT')), 'http1');
  });
});
