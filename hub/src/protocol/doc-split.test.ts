import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { splitUpdate } from './doc-split.js';

const KB = 1024;

function docFrom(updates: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc;
}

function same(a: Y.Doc, b: Y.Doc): void {
  expect(a.getText('t').toString()).toBe(b.getText('t').toString());
  expect(a.getArray('a').toJSON()).toEqual(b.getArray('a').toJSON());
  expect(a.getMap('m').toJSON()).toEqual(b.getMap('m').toJSON());
  expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b));
  // Nothing left waiting for a piece that never came.
  expect(a.store.pendingStructs).toBeNull();
  expect(a.store.pendingDs).toBeNull();
}

function pieces(update: Uint8Array, max: number): Uint8Array[] {
  const out = splitUpdate(update, max);
  for (const p of out) expect(p.length).toBeLessThanOrEqual(max);
  return out;
}

describe('splitUpdate', () => {
  it('leaves an update within the limit as it is', () => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'hello');
    const u = Y.encodeStateAsUpdate(doc);
    expect(splitUpdate(u, 1024)).toEqual([u]);
  });

  it('cuts one long insert into pieces that make the same text in order and in reverse', () => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'abcdefghij'.repeat(100_000));
    const u = Y.encodeStateAsUpdate(doc);
    const out = pieces(u, 64 * KB);
    expect(out.length).toBeGreaterThanOrEqual(16);
    same(docFrom(out), doc);
    same(docFrom([...out].reverse()), doc);
  });

  it('never cuts a surrogate pair or a multi-byte character apart', () => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'a😀é漢'.repeat(30_000));
    const out = pieces(Y.encodeStateAsUpdate(doc), 7 * KB + 3);
    const copy = docFrom(out);
    expect(copy.getText('t').toString()).not.toContain('\ufffd');
    same(copy, doc);
  });

  it('cuts an edit made on top of a shared document, with its deletes, and applies to the other copy', () => {
    const a = new Y.Doc();
    a.getText('t').insert(0, 'x'.repeat(50_000));
    a.getArray('a').push([1, 2, 3]);
    const b = docFrom([Y.encodeStateAsUpdate(a)]);
    const before = Y.encodeStateVector(b);
    b.transact(() => {
      const t = b.getText('t');
      // Every other character of a stretch deleted: a delete set of thousands of ranges.
      for (let i = 0; i < 2_000; i++) t.delete(i, 1);
      t.insert(10, 'pasted '.repeat(20_000));
      b.getArray('a').push(Array.from({ length: 20_000 }, (_, i) => ({ n: i })));
      b.getMap('m').set('k', 'v');
    });
    const edit = Y.encodeStateAsUpdate(b, before);
    const out = pieces(edit, 16 * KB);
    expect(out.length).toBeGreaterThan(5);
    const base = Y.encodeStateAsUpdate(a);
    same(docFrom([base, ...out]), b);
    same(docFrom([...out].reverse().concat([base])), b);
  });

  it('keeps a gap in a merged update a gap, so the missing update still fits in', () => {
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    const t = doc.getText('t');
    for (let i = 0; i < 3; i++) t.insert(t.length, String(i).repeat(40_000));
    const gapped = Y.mergeUpdates([updates[0]!, updates[2]!]);
    const out = pieces(gapped, 8 * KB);
    same(docFrom([...out, updates[1]!]), doc);
    same(docFrom([updates[1]!, ...out.reverse()]), doc);
  });

  it('puts a delete set too large for one piece into several', () => {
    const doc = new Y.Doc();
    const t = doc.getText('t');
    for (let i = 0; i < 3_000; i++) t.insert(t.length, 'ab');
    const before = Y.encodeStateVector(doc);
    const base = Y.encodeStateAsUpdate(doc);
    doc.transact(() => {
      for (let i = 0; i < 3_000; i++) t.delete(i, 1);
    });
    const out = pieces(Y.encodeStateAsUpdate(doc, before), 1 * KB);
    expect(out.length).toBeGreaterThan(3);
    same(docFrom([base, ...out]), doc);
    same(docFrom([...out].reverse().concat([base])), doc);
  });

  it('leaves one indivisible value larger than the limit a piece alone', () => {
    const doc = new Y.Doc();
    doc.getMap('m').set('blob', 'y'.repeat(20 * KB));
    doc.getText('t').insert(0, 'z'.repeat(20 * KB));
    const out = splitUpdate(Y.encodeStateAsUpdate(doc), 8 * KB);
    expect(out.filter((p) => p.length > 8 * KB)).toHaveLength(1);
    same(docFrom(out), doc);
  });
});
