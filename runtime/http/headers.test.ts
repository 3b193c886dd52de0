import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRequestHead, flatToRequestMap, requestMapToHead, requestMapUnchanged } from './headers.ts';

const head = () =>
  buildRequestHead('GET', '/a?b=1', ['Host', 'svc.local', 'Accept', '*/*', 'X-Dup', '1', 'X-Dup', '2'], '10.0.0.1', 'http', false, false);

describe('request header map round trip', () => {
  it('sees an untouched map as unchanged, and every kind of edit as a change', () => {
    const h = head();
    assert.equal(requestMapUnchanged(flatToRequestMap(h, 'http'), h, 'http'), true);
    const edits: Array<(m: Array<[string, string]>) => void> = [
      (m) => m.push(['x-new', '1']),
      (m) => m.splice(5, 1),
      (m) => (m[4] = [m[4]![0], 'other']),
      (m) => (m[1] = [':path', '/elsewhere']),
      (m) => (m[2] = [':authority', 'other.local']),
      (m) => m.reverse(),
    ];
    for (const edit of edits) {
      const map = flatToRequestMap(h, 'http');
      edit(map);
      assert.equal(requestMapUnchanged(map, h, 'http'), false, edit.toString());
    }
    assert.equal(requestMapUnchanged(flatToRequestMap(h, 'http'), h, 'https'), false, 'scheme differs');
  });

  it('an edited map becomes the upstream head (pseudo-headers, host from :authority)', () => {
    const h = head();
    const map = flatToRequestMap(h, 'http');
    map[1] = [':path', '/moved'];
    map.push(['x-new', 'yes']);
    requestMapToHead(map, h);
    assert.equal(h.path, '/moved');
    assert.deepEqual(h.headers.slice(-4), ['x-new', 'yes', 'host', 'svc.local']);
  });
});
