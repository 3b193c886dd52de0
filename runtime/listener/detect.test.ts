// Protocol detection decisions on first bytes, including partial input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detect } from './detect.ts';

describe('detect', () => {
  it('recognises HTTP/1 request lines, waiting for the method token to finish', () => {
    assert.equal(detect(Buffer.from('GET / HTTP/1.1\r\n')), 'http1');
    assert.equal(detect(Buffer.from('M-SEARCH * HTTP/1.1\r\n')), 'http1');
    assert.equal(detect(Buffer.from('DELE')), 'more');
  });

  it('recognises the HTTP/2 preface only when complete, and waits on a prefix of it', () => {
    assert.equal(detect(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')), 'h2c');
    assert.equal(detect(Buffer.from('PRI * HTTP/2')), 'more');
    assert.equal(detect(Buffer.from('PRI * HTTP/1.1\r\n')), 'http1');
  });

  it('sends TLS ClientHello bytes to TLS and anything else to opaque TCP', () => {
    assert.equal(detect(Buffer.from([0x16, 0x03, 0x01])), 'tls');
    assert.equal(detect(Buffer.from([0x00, 0x01])), 'tcp');
    assert.equal(detect(Buffer.from('get / HTTP/1.1')), 'tcp');
    assert.equal(detect(Buffer.from(' GET')), 'tcp');
    assert.equal(detect(Buffer.from('A'.repeat(40))), 'tcp');
    assert.equal(detect(Buffer.alloc(0)), 'more');
  });
});
