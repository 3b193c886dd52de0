// rate-limit's token bucket and configuration, compiled to Wasm and run without a host.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadTestModule, type AsModule } from '../toolchain/test-module.ts';

const pluginDir = fileURLToPath(new URL('.', import.meta.url));
let m: AsModule;

before(async () => {
  m = await loadTestModule(pluginDir, 'bucket');
});

interface Step { allowed: boolean; remaining: number; reset: number; retryAfter: number }
function step(nowMs: number): Step {
  const [a, r, s, t] = m.string(m.call('step', nowMs)).split(' ').map(Number);
  return { allowed: a === 1, remaining: r, reset: s, retryAfter: t };
}

test('a new bucket allows exactly `burst` requests at once, then refuses with retry-after', () => {
  m.call('reset', 10, 1, 5); // 10/s, burst 5
  const t0 = 1_700_000_000_000;
  const results = Array.from({ length: 8 }, () => step(t0));
  assert.deepEqual(results.map((r) => r.allowed), [true, true, true, true, true, false, false, false]);
  assert.deepEqual(results.slice(0, 5).map((r) => r.remaining), [4, 3, 2, 1, 0]);
  assert.equal(results[5].retryAfter, 1, '0.1 s to the next token rounds up to 1 s');
  assert.equal(results[4].reset, 1, '5 tokens at 10/s refill in 0.5 s, rounded up');
});

test('tokens refill with elapsed time, never above burst', () => {
  m.call('reset', 1, 1, 2); // 1/s, burst 2
  const t0 = 1_700_000_000_000;
  assert.equal(step(t0).allowed, true);
  assert.equal(step(t0).allowed, true);
  assert.equal(step(t0 + 999).allowed, false, 'not a whole token after 999 ms');
  assert.equal(step(t0 + 1000).allowed, true, 'exactly one token after 1 s');
  assert.equal(step(t0 + 1000).allowed, false);
  // A long pause refills to burst only.
  assert.equal(step(t0 + 3_600_000).remaining, 1);
  assert.equal(step(t0 + 3_600_000).remaining, 0);
  assert.equal(step(t0 + 3_600_000).allowed, false);
});

test('per-minute limits compute retry-after and reset in seconds', () => {
  m.call('reset', 6, 60, 3); // 6/min = one token per 10 s, burst 3
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < 3; i++) assert.equal(step(t0).allowed, true);
  const refused = step(t0 + 2000);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfter, 8);
  assert.equal(refused.reset, 28);
});

test('a clock step backwards refills nothing and does not break the bucket', () => {
  m.call('reset', 1, 1, 1);
  const t0 = 1_700_000_000_000;
  assert.equal(step(t0).allowed, true);
  assert.equal(step(t0 - 5000).allowed, false);
  assert.equal(step(t0 + 1000).allowed, true);
});

test('a shared-data value that is not a bucket is ignored', () => {
  assert.equal(m.call('decodesGarbage'), 1);
});

test('configuration: default and per-route limits, key sources, and errors with field paths', () => {
  const configure = (c: unknown) => m.string(m.call('configure', JSON.stringify(c)));
  assert.equal(configure({
    keyBy: 'identity',
    limit: { requestsPerUnit: 100, unit: 'minute' },
    routes: { api: { requestsPerUnit: 5, unit: 'second', burst: 10 } },
  }), '');
  assert.equal(m.string(m.call('limitFor', 'api')), 'api 10.0 5.0 1.0');
  assert.equal(m.string(m.call('limitFor', 'other')), ' 100.0 100.0 60.0', 'burst defaults to requestsPerUnit');
  assert.equal(m.string(m.call('keyHeader')), '2 x-remora-identity');
  assert.equal(configure({ routes: { api: { requestsPerUnit: 1 } } }), '');
  assert.equal(m.string(m.call('limitFor', 'web')), 'none', 'routes not listed are not limited without a default');
  assert.equal(configure({ keyBy: 'header', keyHeader: 'X-Api-Key', limit: { requestsPerUnit: 1 } }), '');
  assert.equal(m.string(m.call('keyHeader')), '1 x-api-key');
  const cases: Array<[unknown, string]> = [
    [{}, 'config: expected "limit" or "routes"'],
    [{ limit: { requestsPerUnit: 0 } }, 'limit.requestsPerUnit: expected an integer from 1 to 1e9'],
    [{ limit: { requestsPerUnit: 1.5 } }, 'limit.requestsPerUnit: expected an integer from 1 to 1e9'],
    [{ limit: { requestsPerUnit: 1, unit: 'week' } }, 'limit.unit: expected one of second, minute, hour, day'],
    [{ routes: { api: { requestsPerUnit: 1, burst: -1 } } }, 'routes.api.burst: expected an integer from 1 to 1e9'],
    [{ routes: { api: { requestsPerUnit: 1, per: 's' } } }, 'routes.api.per: unknown field'],
    [{ keyBy: 'header', limit: { requestsPerUnit: 1 } }, 'keyHeader: required when keyBy is header'],
    [{ keyBy: 'cookie', limit: { requestsPerUnit: 1 } }, 'keyBy: expected one of address, header, identity'],
    [{ limit: { requestsPerUnit: 1 }, keyPrefix: '' }, 'keyPrefix: expected a non-empty string'],
  ];
  for (const [config, want] of cases) assert.equal(configure(config), want, JSON.stringify(config));
});
