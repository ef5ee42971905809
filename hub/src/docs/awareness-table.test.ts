import { describe, expect, it } from 'vitest';
import { AWARENESS_TIMEOUT_MS, AwarenessTable } from './awareness-table.js';

const state = (name: string) => JSON.stringify({ user: { name } });

describe('AwarenessTable', () => {
  it('tells a newcomer of the states updated within 30 s, and not of one that lapsed', () => {
    const t = new AwarenessTable();
    t.take([{ client: 1, clock: 1, state: state('ann') }], undefined, 0);
    t.take([{ client: 2, clock: 1, state: state('bob') }], undefined, 10_000);
    expect(t.current(AWARENESS_TIMEOUT_MS).map((e) => e.client)).toEqual([1, 2]);
    expect(t.current(AWARENESS_TIMEOUT_MS + 1).map((e) => e.client)).toEqual([2]);
    // An update renews: the same state again, with the next clock.
    t.take([{ client: 1, clock: 2, state: state('ann') }], undefined, 25_000);
    expect(t.current(39_000).map((e) => e.client)).toEqual([1, 2]);
    t.sweep(50_000);
    expect(t.size).toBe(1);
    expect(t.current(50_000)).toEqual([{ client: 1, clock: 2, state: state('ann') }]);
  });

  it('keeps the newest clock, and a null removes the client', () => {
    const t = new AwarenessTable();
    expect(t.take([{ client: 1, clock: 5, state: state('new') }], undefined, 0)).toHaveLength(1);
    expect(t.take([{ client: 1, clock: 4, state: state('old') }], undefined, 1)).toEqual([]);
    expect(t.current(2)[0]!.state).toBe(state('new'));
    expect(t.take([{ client: 1, clock: 6, state: 'null' }], undefined, 3)).toEqual([{ client: 1, clock: 6, state: 'null' }]);
    expect(t.size).toBe(0);
  });

  it('ends every state of a person who left, and only theirs', () => {
    const t = new AwarenessTable();
    t.take([{ client: 1, clock: 3, state: state('ann tab 1') }, { client: 2, clock: 1, state: state('ann tab 2') }], 'ann', 0);
    t.take([{ client: 3, clock: 1, state: state('bob') }], 'bob', 0);
    // A later update without a person (relayed before they were known) keeps whose it is.
    t.take([{ client: 1, clock: 4, state: state('ann tab 1') }], undefined, 1);
    t.take([{ client: 4, clock: 1, state: state('y-websocket') }], undefined, 0);
    expect(t.endUser('ann')).toEqual([
      { client: 1, clock: 5, state: 'null' },
      { client: 2, clock: 2, state: 'null' },
    ]);
    expect(t.current(2).map((e) => e.client)).toEqual([3, 4]);
    expect(t.endUser('ann')).toEqual([]);
  });
});
