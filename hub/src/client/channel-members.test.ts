import { describe, expect, it } from 'vitest';
import { ChannelMembers } from './channel-members.js';

const ann = { id: 'ann', name: 'Ann', role: 'viewer' as const };
const bob = { id: 'bob', name: 'Bob', role: 'player' as const };

describe('ChannelMembers', () => {
  it('follows joins and leaves of its own channel only', () => {
    const m = new ChannelMembers('room:a');
    m.apply({ type: 'presence', ch: 'room:a', event: 'join', member: ann });
    m.apply({ type: 'presence', ch: 'room:a', event: 'join', member: bob });
    m.apply({ type: 'presence', ch: 'room:b', event: 'leave', member: bob });
    m.apply({ type: 'presence', ch: 'room:a', event: 'leave', member: ann });
    expect([...m.members.keys()]).toEqual(['bob']);
    expect(m.count).toBe(1);
  });

  it('takes a count in place of the list, and a list again after it', () => {
    const m = new ChannelMembers('room:a');
    m.apply({ type: 'presence', ch: 'room:a', event: 'join', member: ann });
    m.apply({ type: 'presence_count', ch: 'room:a', count: 5000 });
    expect(m.count).toBe(5000);
    expect(m.members.size).toBe(0);
    m.apply({ type: 'presence_count', ch: 'room:a', count: 1 });
    m.apply({ type: 'presence', ch: 'room:a', event: 'join', member: bob });
    expect(m.count).toBe(1);
    expect([...m.members.keys()]).toEqual(['bob']);
  });

  it('replaces its list with a presence_state and applies diffs as set operations', () => {
    const m = new ChannelMembers('room:a');
    m.apply({ type: 'presence_count', ch: 'room:a', count: 9 });
    m.apply({ type: 'presence_state', ch: 'room:a', members: [ann] });
    expect([...m.members.keys()]).toEqual(['ann']);
    expect(m.counted).toBeUndefined();
    // A diff may repeat what the state showed: joining twice is still one member.
    m.apply({ type: 'presence_diff', ch: 'room:a', joins: [ann, bob], leaves: [] });
    m.apply({ type: 'presence_diff', ch: 'room:a', joins: [], leaves: [ann] });
    m.apply({ type: 'presence_diff', ch: 'room:b', joins: [ann], leaves: [bob] });
    expect([...m.members.keys()]).toEqual(['bob']);
  });
});
