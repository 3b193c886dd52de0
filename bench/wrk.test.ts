import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrkOutput } from './wrk.ts';

const REPORT = `Running 3s test @ http://127.0.0.1:40111/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.64ms  520.11us  12.33ms   91.20%
    Req/Sec    30.61k     1.20k   32.00k    80.00%
  Latency Distribution
     50%    1.64ms
     75%    1.80ms
     90%    2.10ms
     99%  750.00us
  91383 requests in 3.00s, 17.35MB read
  Socket errors: connect 0, read 2, write 1, timeout 4
  Non-2xx or 3xx responses: 12
Requests/sec:  30461.22
Transfer/sec:      5.78MB
`;

test('parseWrkOutput reads throughput, percentiles in ms, totals and errors', () => {
  const r = parseWrkOutput(REPORT);
  assert.equal(r.requestsPerSec, 30461.22);
  assert.equal(r.p50Ms, 1.64);
  assert.equal(r.p99Ms, 0.75);
  assert.equal(r.requests, 91383);
  assert.equal(r.non2xx, 12);
  assert.equal(r.socketErrors, 7);
});

test('parseWrkOutput converts seconds and reports zero errors when wrk prints none', () => {
  const r = parseWrkOutput(REPORT.replace('1.64ms\n     75%', '1.20s\n     75%').replace(/  Socket errors.*\n  Non-2xx.*\n/, ''));
  assert.equal(r.p50Ms, 1200);
  assert.equal(r.non2xx, 0);
  assert.equal(r.socketErrors, 0);
});

test('parseWrkOutput refuses a report without the latency distribution', () => {
  assert.throws(() => parseWrkOutput(REPORT.replace(/  Latency Distribution[\s\S]*?99%.*\n/, '')), /--latency/);
});
