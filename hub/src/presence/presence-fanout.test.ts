import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChannelRegistry } from '../channels/registry.js';
import { PresenceFanout } from './presence-fanout.js';
import { PresenceView } from './presence-view.js';

const ch = 'room:crowd';

/** What the fan-out hands the registry, by frame type: the registry's own fan-out is tested with it. */
function recordingRegistry() {
  const sent: string[] = [];
  const registry = {
    publishEphemeral: (_ch: string, type: string) => sent.push(type),
    publishPresence: (_ch: string, _perChange: unknown, diff: { type: string }) => sent.push(diff.type),
  } as unknown as ChannelRegistry;
  return { registry, sent };
}

function crowd(view: PresenceView, fanout: PresenceFanout, from: number, n: number): void {
  for (let i = from; i < from + n; i++) {
    const t = view.put({ hub: 'h1', ch, userId: `u${i}` }, i + 1, { member: { id: `u${i}`, name: `U ${i}`, role: 'viewer' }, sessions: 1 });
    if (t) fanout.apply(t);
  }
}

describe('PresenceFanout pacing', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends a counting channel its count once per millisecond per member, so a crowd arriving costs one round', () => {
    const view = new PresenceView();
    const { registry, sent } = recordingRegistry();
    const fanout = new PresenceFanout(registry, view, 1_000);
    try {
      const counts = () => sent.filter((t) => t === 'presence_count').length;
      // A crowd of 3,000 arriving over 3 s: before, a count went to everyone at the crossing and every second after.
      for (let i = 0; i < 3; i++) {
        crowd(view, fanout, i * 1_000, 1_000);
        vi.advanceTimersByTime(1_000);
      }
      expect(counts()).toBe(0);
      vi.advanceTimersByTime(1_000);
      expect(counts()).toBe(1);
      // 3,010 members: the next count 3.01 s after the last, at the first tick past it.
      crowd(view, fanout, 3_000, 10);
      vi.advanceTimersByTime(3_000);
      expect(counts()).toBe(1);
      vi.advanceTimersByTime(1_000);
      expect(counts()).toBe(2);
      // Nothing changed: nothing sent.
      vi.advanceTimersByTime(10_000);
      expect(counts()).toBe(2);
    } finally {
      fanout.stop();
    }
  });

  it('sends a small channel its count within a second or two of a change', () => {
    const view = new PresenceView();
    const { registry, sent } = recordingRegistry();
    const fanout = new PresenceFanout(registry, view, 5);
    try {
      crowd(view, fanout, 0, 8);
      vi.advanceTimersByTime(2_000);
      expect(sent.filter((t) => t === 'presence_count')).toHaveLength(1);
    } finally {
      fanout.stop();
    }
  });
});
