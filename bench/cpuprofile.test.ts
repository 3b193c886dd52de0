import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleOf, summarize, type CpuProfile } from './cpuprofile.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '0' });

// root → handle (runtime/http/server.ts) → parse (node:_http_common) ; root → (garbage collector)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 4] },
    { id: 2, callFrame: frame('handle', 'file:///work/main/runtime/http/server.ts', 9), children: [3] },
    { id: 3, callFrame: frame('parse', 'node:_http_common', 1) },
    { id: 4, callFrame: frame('(garbage collector)') },
  ],
  startTime: 0,
  endTime: 100,
  samples: [3, 3, 2, 4],
  timeDeltas: [10, 20, 30, 40],
};

test('summarize splits self and inclusive time per function', () => {
  const s = summarize(profile);
  assert.equal(s.totalUs, 100);
  const handle = s.functions.find((f) => f.name === 'handle')!;
  assert.equal(handle.selfUs, 30);
  assert.equal(handle.totalUs, 60);
  assert.equal(handle.where, 'runtime/http/server.ts:10');
  assert.equal(s.functions.find((f) => f.name === 'parse')!.selfUs, 30);
  assert.deepEqual(s.modules[0], { module: '(garbage collector)', selfUs: 40 });
});

test('moduleOf names packages, core modules and Remora folders', () => {
  assert.equal(moduleOf(frame('x', 'file:///w/node_modules/undici/lib/dispatcher/client-h1.js')), 'undici');
  assert.equal(moduleOf(frame('x', 'file:///w/node_modules/@grpc/grpc-js/build/a.js')), '@grpc/grpc-js');
  assert.equal(moduleOf(frame('x', 'node:net')), 'node:net');
  assert.equal(moduleOf(frame('x', 'file:///work/main/abi/host.ts')), 'abi/host.ts');
  assert.equal(moduleOf(frame('writev')), '(native)');
});
