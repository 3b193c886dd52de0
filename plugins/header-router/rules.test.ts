// header-router's rule matching, configuration errors and the shared request-target helpers
// (cookies, query parameters, path rewriting), compiled to Wasm and run without a host.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadTestModule, type AsModule } from '../toolchain/test-module.ts';

const pluginDir = fileURLToPath(new URL('.', import.meta.url));
let m: AsModule;

before(async () => {
  m = await loadTestModule(pluginDir, 'rules');
});

const str = (ptr: number) => (ptr === 0 ? null : m.string(ptr));
const configure = (c: unknown) => m.string(m.call('configure', JSON.stringify(c)));
const match = (headers: Record<string, string>, path = '/') =>
  m.call('match', Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n'), path);

test('first matching rule wins; all conditions of a rule must hold', () => {
  assert.equal(configure({
    rules: [
      { name: 'canary-api', when: [{ header: 'x-canary', exact: '1' }, { pathPrefix: '/api/' }], cluster: 'canary-api' },
      { name: 'canary', when: [{ header: 'X-Canary', present: true }], cluster: 'canary' },
      { name: 'beta-cookie', when: [{ cookie: 'beta', exact: 'yes' }], cluster: 'beta' },
      { name: 'v2', when: [{ query: 'version', prefix: '2' }], cluster: 'v2' },
      { name: 'health', when: [{ path: '/healthz' }], setHeaders: { 'x-health': '1' } },
      { name: 'no-tenant', when: [{ header: 'x-tenant', present: false }, { pathPrefix: '/t/' }], cluster: 'default-tenant' },
    ],
  }), '');
  assert.equal(match({ 'x-canary': '1' }, '/api/items'), 0);
  assert.equal(match({ 'x-canary': '1' }, '/web'), 1);
  assert.equal(match({ 'x-canary': '0' }, '/api/items'), 1, 'present matches any value');
  assert.equal(match({ cookie: 'a=1; beta=yes; c=3' }, '/'), 2);
  assert.equal(match({ cookie: 'beta=no' }, '/'), -1);
  assert.equal(match({}, '/list?version=2.1&x=1'), 3);
  assert.equal(match({}, '/list?version=1'), -1);
  assert.equal(match({}, '/healthz?probe=1'), 4, 'path conditions ignore the query');
  assert.equal(match({}, '/healthz/x'), -1, 'path is exact');
  assert.equal(match({}, '/t/a'), 5);
  assert.equal(match({ 'x-tenant': 'a' }, '/t/a'), -1);
  assert.equal(match({}, '/'), -1);
});

test('prefix rewriting keeps the query and avoids doubled slashes', () => {
  const rw = (p: string, from: string, to: string) => str(m.call('rewrite', p, from, to));
  assert.equal(rw('/api/v1/items?x=1', '/api/v1/', '/v1/'), '/v1/items?x=1');
  assert.equal(rw('/api/items', '/api', '/'), '/items');
  assert.equal(rw('/api', '/api', ''), '/');
  assert.equal(rw('/api?x=1', '/api', ''), '/?x=1');
  assert.equal(rw('/other', '/api', '/'), null);
});

test('cookies, query parameters, paths and client addresses are read like browsers and Envoy write them', () => {
  const cookie = (h: string, n: string) => str(m.call('cookie', h, n));
  assert.equal(cookie('a=1; b=2', 'b'), '2');
  assert.equal(cookie('a=1;b=2', 'b'), '2');
  assert.equal(cookie('ab=1; b="q"', 'b'), 'q');
  assert.equal(cookie('ab=1', 'b'), null);
  assert.equal(cookie('b=', 'b'), '');
  const q = (p: string, n: string) => str(m.call('query', p, n));
  assert.equal(q('/x?a=1&b=two%20words&c', 'b'), 'two words');
  assert.equal(q('/x?a=1&b=2', 'c'), null);
  assert.equal(q('/x?a=1&c', 'c'), '');
  assert.equal(q('/x?na%6De=caf%C3%A9+au+lait', 'name'), 'café au lait');
  assert.equal(q('/x?a=%zz', 'a'), '%zz', 'malformed escapes stay literal');
  assert.equal(q('/x', 'a'), null);
  assert.equal(q('/x?a=1#a=2', 'a'), '1');
  assert.equal(m.string(m.call('pathWithoutQuery', '/a/b?c=d')), '/a/b');
  const addr = (a: string) => m.string(m.call('clientAddress', a));
  assert.equal(addr('10.0.0.1:5321'), '10.0.0.1');
  assert.equal(addr('[::1]:5321'), '::1');
  assert.equal(addr('::1'), '::1');
  assert.equal(addr('10.0.0.1'), '10.0.0.1');
});

test('bad configurations are refused with the field path and the expectation', () => {
  const cases: Array<[unknown, string]> = [
    [{}, 'rules: expected an array of rules'],
    [{ rules: [{ when: [] }] }, 'rules[0]: expected at least one action'],
    [{ rules: [{ cluster: 'a', when: [{ header: 'x', cookie: 'y' }] }] }, 'rules[0].when[0]: expected exactly one of header, cookie, query, path, pathPrefix'],
    [{ rules: [{ cluster: 'a', when: [{ header: 'x', exact: 'a', prefix: 'b' }] }] }, 'rules[0].when[0]: expected at most one of exact, prefix, present'],
    [{ rules: [{ cluster: 'a', when: [{ pathPrefix: 'api' }] }] }, 'rules[0].when[0].pathPrefix: expected a path starting with /'],
    [{ rules: [{ cluster: 'a', when: [{ header: 'x', regex: '.*' }] }] }, 'rules[0].when[0].regex: unknown field'],
    [{ rules: [{ setHeaders: { ':path': '/x' } }] }, 'rules[0].setHeaders.:path: this header cannot be set'],
    [{ rules: [{ rewritePrefix: { from: '/a' } }] }, 'rules[0].rewritePrefix.to: expected a path starting with /'],
    [{ rules: [], clusterHeader: ':authority' }, 'clusterHeader: expected a header name'],
    [{ rules: [], extra: 1 }, 'extra: unknown field'],
  ];
  for (const [config, want] of cases) {
    const got = configure(config);
    assert.ok(got.startsWith(want), `${JSON.stringify(config)} -> ${got}`);
  }
});
