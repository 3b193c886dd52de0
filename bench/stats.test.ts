import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cell, dropPct, extraUsPerRequest, median, type Sample, type TargetResult } from './stats.ts';

function sample(rps: number, over: Partial<Sample> = {}): Sample {
  return {
    rep: 1, conns: 50, durationSec: 10, rps, p50Ms: 1, p99Ms: 2, requests: rps * 10, non2xx: 0, socketErrors: 0,
    targetCpuSec: 10, originCpuSec: 2, wrkCpuSec: 2, machineBusySec: 15, ...over,
  };
}

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('extra µs per request from throughput at saturation', () => {
  // 10,000 req/s = 100 µs per request; 8,000 req/s = 125 µs: the plugin adds 25 µs.
  assert.equal(Math.round(extraUsPerRequest(8000, 10000) * 1000) / 1000, 25);
  assert.equal(Math.round(dropPct(8000, 10000) * 1000) / 1000, 20);
});

test('cell takes medians per connection count and CPU per request', () => {
  const r: TargetResult = {
    id: 'remora', label: 'x', kind: 'remora', pluginCount: 0,
    samples: [sample(9000), sample(10000, { p99Ms: 5 }), sample(11000), sample(500, { conns: 10, non2xx: 3 })],
  };
  const c50 = cell(r, 50)!;
  assert.equal(c50.n, 3);
  assert.equal(c50.rps, 10000);
  assert.equal(c50.p99Ms, 2);
  assert.equal(c50.cpuUsPerReq, 100); // 10 s CPU over 100,000 requests
  assert.equal(c50.targetCpuPct, 100);
  assert.equal(c50.otherCpuPct, 10); // 15 busy − 14 ours over 10 s
  assert.equal(cell(r, 10)!.non2xx, 3);
  assert.equal(cell(r, 100), undefined);
});

test('a run without any response is counted as stalled and left out of the medians', () => {
  const r: TargetResult = {
    id: 'remora', label: 'x', kind: 'remora', pluginCount: 0,
    samples: [sample(9000), sample(0, { requests: 0, targetCpuSec: 0 }), sample(11000)],
  };
  const c = cell(r, 50)!;
  assert.equal(c.n, 2);
  assert.equal(c.rps, 10000);
  assert.equal(c.stalledRuns, 1);
  const none: TargetResult = { ...r, samples: [sample(0, { requests: 0 })] };
  assert.equal(cell(none, 50), undefined);
});
