import { describe, expect, it } from 'vitest';
import { WINDOW_GRACE_MS } from './aggregator.js';
import { OwnedPartition } from './owned-partition.js';

/** Marks with only the one-second windows stored so far. */
const seconds = (through: number) => ({ '1s': through, '10s': 0, '1m': 0 });

/** A store whose writes complete when the test says so. */
function manualStore() {
  const waiting: Array<() => void> = [];
  return {
    store: () => new Promise<void>((resolve) => waiting.push(resolve)),
    completeAll: async () => {
      for (const done of waiting.splice(0)) done();
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('OwnedPartition', () => {
  it('moves its checkpoint past a window only once that window is stored', async () => {
    const s = manualStore();
    const p = new OwnedPartition({ closedThrough: seconds(1_000), replayFrom: 5 }, s.store);
    p.pending = false;
    p.add('x', 1, 1_100, 1_100, 5);
    p.add('x', 2, 2_100, 2_100, 6);
    p.nextSeq = 7;
    p.close(2_000 + WINDOW_GRACE_MS, 6);
    // Window 1000 is closed but not stored: a new owner must still rebuild it from seq 5.
    expect(p.checkpoint(6)).toEqual({ closedThrough: seconds(1_000), replayFrom: 5 });
    let settled = false;
    void p.settled().then(() => (settled = true));
    await s.completeAll();
    expect(settled).toBe(true);
    // Stored, but its ten seconds and its minute are still open: they are rebuilt from seq 5 too.
    expect(p.checkpoint(6)).toEqual({ closedThrough: seconds(2_000), replayFrom: 5 });
  });

  it('keeps the checkpoint it came with until the reader has been sent back for it', () => {
    const p = new OwnedPartition({ closedThrough: seconds(3_000), replayFrom: 7 }, async () => undefined);
    // The reader is far ahead, at another partition's messages; this one has read none of them.
    expect(p.checkpoint(5_000)).toEqual({ closedThrough: seconds(3_000), replayFrom: 7 });
    p.pending = false;
    expect(p.checkpoint(5_000)).toEqual({ closedThrough: seconds(3_000), replayFrom: 5_001 });
  });

  it('points past everything read when no window is open', () => {
    const p = new OwnedPartition({ closedThrough: seconds(0), replayFrom: 1 }, async () => undefined);
    p.pending = false;
    p.nextSeq = 40;
    expect(p.checkpoint(99)).toEqual({ closedThrough: seconds(0), replayFrom: 100 });
    expect(p.checkpoint(10)).toEqual({ closedThrough: seconds(0), replayFrom: 40 });
  });

  it('drops the open windows a lost stretch of the stream may have fed', async () => {
    const stored: number[] = [];
    const p = new OwnedPartition({ closedThrough: seconds(0), replayFrom: 1 }, async (_window, _series, r) => void stored.push(r.t));
    p.add('x', 1, 5_100, 5_100, 10);
    p.add('x', 1, 9_100, 9_100, 11);
    p.skipUntil(6_000);
    p.close(20_000, 11);
    expect(stored).toEqual([9_000]);
  });
});
