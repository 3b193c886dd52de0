import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContextTable } from '../context/context-table.ts';
import { IdTable } from '../context/id-table.ts';
import { RootContext, StreamContext, type PluginBinding } from '../context/context.ts';

const binding = { name: 'p', stats: new Map() } as unknown as PluginBinding;
const host = { continueStream() {}, closeStream() {}, sendLocalResponse() {} };

describe('ContextTable', () => {
  it('finds roots and streams by id, forgets removed ones, and counts both', () => {
    const t = new ContextTable();
    const root = new RootContext(1, binding);
    const a = new StreamContext(2, root, host);
    const b = new StreamContext(3, root, host);
    t.add(root);
    t.add(a);
    t.add(b);
    assert.equal(t.size, 3);
    assert.equal(t.get(1), root);
    assert.equal(t.get(3), b);
    assert.equal(t.has(4), false);
    t.remove(a);
    assert.equal(t.has(2), false);
    assert.equal(t.size, 2);
    assert.deepEqual([...t.values()].map((c) => c.id), [1, 3], 'roots first, then streams');
    assert.equal(t.canTake(2), true);
    assert.equal(t.canTake(3), false);
    assert.deepEqual(t.roots(), [root]);
    t.remove(root);
    assert.equal(t.get(1), undefined);
    assert.equal(t.size, 1);
  });

  it('removing a stale context does not drop the live one with the same id', () => {
    const t = new ContextTable();
    const root = new RootContext(1, binding);
    const old = new StreamContext(7, root, host);
    const live = new StreamContext(7, root, host);
    t.add(old);
    t.remove(old);
    t.add(live);
    t.remove(old);
    assert.equal(t.get(7), live);
    assert.equal(t.size, 1);
  });

  it('grows instead of overwriting when ids share a slot, and keeps every context findable', () => {
    const t = new ContextTable();
    const root = new RootContext(1, binding);
    const ids = [2, 2 + 64, 2 + 128, 2 + 4096];
    const ctxs = ids.map((id) => new StreamContext(id, root, host));
    for (const c of ctxs) t.add(c);
    for (let i = 0; i < 200; i++) t.add(new StreamContext(10_000 + i, root, host));
    for (const c of ctxs) assert.equal(t.get(c.id), c);
    assert.equal(t.size, 204);
  });

  it('keeps ids across the whole u32 range apart', () => {
    const t = new ContextTable();
    const root = new RootContext(1, binding);
    for (const id of [0xffffffff, 0x80000000, 5]) t.add(new StreamContext(id, root, host));
    assert.equal(t.size, 3);
    assert.equal(t.get(0xffffffff)?.id, 0xffffffff);
    assert.equal(t.get(0x80000000)?.id, 0x80000000);
  });
});

describe('IdTable', () => {
  it('counts, finds, deletes and lists values by ascending id', () => {
    const t = new IdTable<string>();
    t.set(9, 'nine');
    t.set(2, 'two');
    t.set(9, 'NINE');
    assert.equal(t.size, 2);
    assert.equal(t.get(9), 'NINE');
    assert.equal(t.has(3), false);
    assert.deepEqual([...t.values()], ['two', 'NINE']);
    assert.equal(t.delete(2), true);
    assert.equal(t.delete(2), false);
    assert.equal(t.size, 1);
    t.clear();
    assert.equal(t.size, 0);
    assert.equal(t.get(9), undefined);
  });
});
