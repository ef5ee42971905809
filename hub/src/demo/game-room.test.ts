import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TICK_MS } from './coin-chase.js';
import { GameRoom } from './game-room.js';
import type { NotificationInput } from '../protocol/index.js';

describe('GameRoom', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** Puts the coin where `id` steps next, and runs that tick. */
  function score(room: GameRoom, id: string): void {
    const p = room.game.state.players[id]!;
    room.steer(id, { dx: p.x > 400 ? -1 : 1, dy: 0, seq: p.seq + 1 });
    room.game.state.coin = { x: p.x + (p.x > 400 ? -6 : 6), y: p.y };
    vi.advanceTimersByTime(TICK_MS);
  }

  it('tells a person who loses the lead, and not a bot', () => {
    const told: Array<[string, NotificationInput]> = [];
    const room = new GameRoom('arena', () => undefined, (user, n) => told.push([user, n]));
    room.join('ann', 'Ann');
    room.join('bob', 'Bob');
    room.join('bot:arena-1', 'Ada (bot)', true);
    score(room, 'ann');
    expect(told).toEqual([]);
    score(room, 'bob');
    score(room, 'bob');
    expect(told).toHaveLength(1);
    expect(told[0]![0]).toBe('ann');
    expect(told[0]![1]).toMatchObject({ title: 'You lost the lead in room arena', kind: 'game', data: { url: '/rooms/arena' } });
    for (let i = 0; i < 3; i++) score(room, 'bot:arena-1');
    // Bob, a person, lost it to the bot; the bot losing it later would tell nobody.
    expect(told.map(([u]) => u)).toEqual(['ann', 'bob']);
    room.stop();
  });

  it('ticks only while someone plays', () => {
    const published: unknown[] = [];
    const room = new GameRoom('quiet', (_part, payload) => published.push(payload));
    expect(room.idle).toBe(true);
    room.join('ann', 'Ann');
    vi.advanceTimersByTime(TICK_MS * 3);
    expect(room.idle).toBe(false);
    room.leave('ann');
    expect(room.idle).toBe(true);
    const count = published.length;
    vi.advanceTimersByTime(TICK_MS * 10);
    expect(published.length).toBe(count);
  });
});
