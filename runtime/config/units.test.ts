// The small parsers behind durations, sizes and addresses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress, parseAddress } from './address.ts';
import { parseDuration } from './duration.ts';
import { parseSize } from './size.ts';
import { fieldPath } from './errors.ts';

describe('config units', () => {
  it('parses durations to milliseconds', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration(0), 0, 'YAML reads an unquoted 0 as a number');
    for (const bad of ['', '5', 's', '5 s', '5sec', '-1s', '1d', 5, -1, 0.5]) assert.equal(parseDuration(bad), undefined, String(bad));
  });

  it('parses sizes to bytes', () => {
    assert.equal(parseSize(65536), 65536);
    assert.equal(parseSize('64Mi'), 64 * 1024 * 1024);
    assert.equal(parseSize('512Ki'), 512 * 1024);
    assert.equal(parseSize('1G'), 1e9);
    for (const bad of ['', '1.5Mi', '64MB', '-1', 'lots']) assert.equal(parseSize(bad), undefined, bad);
    assert.equal(parseSize(-1), undefined);
  });

  it('parses host:port', () => {
    assert.deepEqual(parseAddress('127.0.0.1:4140'), { host: '127.0.0.1', port: 4140 });
    assert.deepEqual(parseAddress('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseAddress('app.svc.cluster.local:8080'), { host: 'app.svc.cluster.local', port: 8080 });
    for (const bad of ['127.0.0.1', ':80', '::1:80', '[::1]80', 'a b:1', 'host:65536', 'host:x']) {
      assert.equal(parseAddress(bad), undefined, bad);
    }
    assert.equal(formatAddress('::1', 5), '[::1]:5');
    assert.equal(formatAddress('10.0.0.1', 5), '10.0.0.1:5');
  });

  it('renders field paths', () => {
    assert.equal(fieldPath(['listeners', 0, 'routes', 1, 'cluster']), 'listeners[0].routes[1].cluster');
    assert.equal(fieldPath(['plugins', 2, 'env', 'MY-VAR']), 'plugins[2].env["MY-VAR"]');
  });
});
