import { describe, expect, it } from 'vitest';
import { memberKey, type MemberAt } from './presence-keys.js';
import { PresenceView } from './presence-view.js';

const ann = { id: 'ann', name: 'Ann', role: 'viewer' as const };
const ch = 'metrics:cpu,host=a';
const at = (hub: string, userId: string): MemberAt => ({ hub, ch, userId });

describe('PresenceView', () => {
  it('joins a user on the first hub entry and leaves after the last', () => {
    const v = new PresenceView();
    expect(v.put(at('h1', 'ann'), 1, { member: ann, sessions: 1 })).toEqual({ ch, event: 'join', member: ann, revision: 1 });
    expect(v.put(at('h2', 'ann'), 2, { member: ann, sessions: 2 })).toBeUndefined();
    expect(v.page(ch, undefined, 10)).toEqual([{ member: ann, sessions: 3 }]);
    expect(v.remove(at('h1', 'ann'), 3)).toBeUndefined();
    expect(v.remove(at('h2', 'ann'), 4)).toEqual({ ch, event: 'leave', member: ann, revision: 4 });
    expect(v.count(ch)).toBe(0);
  });

  it('ignores deletes of entries it never saw', () => {
    const v = new PresenceView();
    expect(v.remove(at('h1', 'ann'), 1)).toBeUndefined();
  });

  it('pages members in id order', () => {
    const v = new PresenceView();
    for (const id of ['c', 'a', 'b', 'd']) v.put(at('h1', id), 1, { member: { id, name: id, role: 'viewer' }, sessions: 1 });
    expect(v.page(ch, undefined, 2).map((m) => m.member.id)).toEqual(['a', 'b']);
    expect(v.page(ch, 'b', 2).map((m) => m.member.id)).toEqual(['c', 'd']);
  });

  it('keeps each hub entry apart and counts their sessions', () => {
    const v = new PresenceView();
    v.put(at('h1', 'ann'), 1, { member: ann, sessions: 2 });
    v.put(at('h2', 'ann'), 2, { member: ann, sessions: 1 });
    v.put(at('h1', 'ann'), 3, { member: ann, sessions: 0 });
    expect(v.page(ch, undefined, 10)).toEqual([{ member: ann, sessions: 1 }]);
    expect(v.entriesOf('h1')).toEqual([{ key: memberKey('h1', ch, 'ann'), revision: 3 }]);
    expect(v.remove(at('h3', 'ann'), 4)).toBeUndefined();
    expect(v.count(ch)).toBe(1);
  });

  it('lists one hub entries for a sweep', () => {
    const v = new PresenceView();
    v.put(at('h1', 'ann'), 5, { member: ann, sessions: 1 });
    v.put(at('h2', 'bob'), 6, { member: { ...ann, id: 'bob' }, sessions: 1 });
    expect(v.entriesOf('h1')).toEqual([{ key: memberKey('h1', ch, 'ann'), revision: 5 }]);
  });
});
