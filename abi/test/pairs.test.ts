import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePairs, serializePairs } from '../memory/pairs.ts';

test('serializes the worked example of reference §4.1 byte for byte', () => {
  const bytes = serializePairs([[':method', 'GET'], ['x', '']]);
  const expected = Buffer.from(
    '02000000' + '07000000' + '03000000' + '01000000' + '00000000' + '3a6d6574686f6400' + '47455400' + '7800' + '00',
    'hex',
  );
  assert.equal(bytes.length, 35);
  assert.deepEqual(bytes, expected);
  assert.deepEqual(
    serializePairs([['a', '1'], ['b', '22']]),
    Buffer.from('0200000001000000010000000100000002000000610031006200323200', 'hex'),
  );
});

test('parses what it serializes, keeping order, duplicates and raw (latin1) bytes', () => {
  const pairs: Array<[string, string]> = [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-bin', '\u00ff\u0001'], ['empty', '']];
  const b = serializePairs(pairs);
  assert.deepEqual(parsePairs(b), pairs);
  assert.equal(b[b.indexOf(0xff)], 0xff);
  // within a larger buffer at an offset
  const big = Buffer.concat([Buffer.alloc(7, 9), b, Buffer.alloc(3, 9)]);
  assert.deepEqual(parsePairs(big, 7, b.length), pairs);
});

test('malformed input parses as an empty map, as cpp-host', () => {
  const good = serializePairs([['k', 'v']]);
  assert.deepEqual(parsePairs(good.subarray(0, 3)), [], 'shorter than 4 bytes');
  assert.deepEqual(parsePairs(Buffer.from([0])), [], 'one-byte 00 form');
  assert.deepEqual(parsePairs(Buffer.from('00000000', 'hex')), [], 'N = 0');
  const badTerm = Buffer.from(good);
  badTerm[good.length - 1] = 0x41;
  assert.deepEqual(parsePairs(badTerm), [], 'terminator not 00');
  assert.deepEqual(parsePairs(Buffer.concat([good, Buffer.from([0])])), [], 'trailing bytes');
  assert.deepEqual(parsePairs(good.subarray(0, good.length - 1)), [], 'declared length overruns');
  const many = Buffer.alloc(4 + 1025 * 8 + 1025 * 2);
  many.writeUInt32LE(1025, 0);
  assert.deepEqual(parsePairs(many), [], 'more than 1024 pairs');
  const lie = Buffer.from(good);
  lie.writeUInt32LE(0xffffffff, 4);
  assert.deepEqual(parsePairs(lie), [], 'absurd key length');
});
