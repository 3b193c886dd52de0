// Request path normalization: one spelling per path for routing and for the upstream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath } from './path.ts';

describe('normalizePath', () => {
  it('leaves ordinary paths and queries alone', () => {
    for (const p of ['/', '/api/items', '/api/items?x=1&y=%2F', '/a.b/c-d_e~f', '*']) assert.equal(normalizePath(p), p);
  });

  it('decodes unreserved characters and upper-cases other escapes', () => {
    assert.equal(normalizePath('/%61dmin/%7Euser'), '/admin/~user');
    assert.equal(normalizePath('/a%2fb%3a'), '/a%2Fb%3A', 'an encoded slash stays a byte of the segment');
  });

  it('merges repeated slashes and removes dot segments, never above the root', () => {
    assert.equal(normalizePath('//admin///x'), '/admin/x');
    assert.equal(normalizePath('/public/../admin/x'), '/admin/x');
    assert.equal(normalizePath('/./admin/./x/'), '/admin/x/');
    assert.equal(normalizePath('/../../admin'), '/admin');
    assert.equal(normalizePath('/a/b/..'), '/a/');
    assert.equal(normalizePath('/%2e%2e/admin'), '/admin', 'encoded dots are dots');
  });

  it('keeps the query as it came and drops a fragment', () => {
    assert.equal(normalizePath('/x/../y?next=/a/../b'), '/y?next=/a/../b');
    assert.equal(normalizePath('/a#frag'), '/a');
  });
});
