import { describe, expect, it } from 'vitest';
import { CoinChase, SPEED } from '@pulse/hub/demo';
import { Prediction, Snapshots } from './arena-motion.js';

const stateWith = (players: Record<string, { x: number; y: number }>) => ({
  arena: { width: 800, height: 500 },
  coin: { x: 0, y: 0 },
  players: Object.fromEntries(Object.entries(players).map(([id, p]) => [id, { ...p, name: id, color: '#000', score: 0, seq: 0 }])),
});

describe('Snapshots', () => {
  it('moves a dot smoothly between two states, and holds the newest past them', () => {
    const s = new Snapshots();
    s.push(1000, stateWith({ a: { x: 100, y: 100 } }));
    s.push(1050, stateWith({ a: { x: 106, y: 100 } }));
    expect(s.positionAt('a', 1025)).toEqual({ x: 103, y: 100 });
    expect(s.positionAt('a', 1010)!.x).toBeCloseTo(101.2);
    expect(s.positionAt('a', 2000)).toEqual({ x: 106, y: 100 });
    expect(s.positionAt('a', 900)).toEqual({ x: 100, y: 100 });
    expect(s.positionAt('b', 1025)).toBeUndefined();
  });

  it('shows a player who joined from their first state on, and not one who left', () => {
    const s = new Snapshots();
    s.push(1000, stateWith({ a: { x: 1, y: 1 } }));
    s.push(1050, stateWith({ a: { x: 1, y: 1 }, b: { x: 5, y: 5 } }));
    expect(s.positionAt('b', 1060)).toEqual({ x: 5, y: 5 });
    s.push(1100, stateWith({ b: { x: 5, y: 5 } }));
    expect(s.positionAt('a', 1120)).toBeUndefined();
  });
});

describe('Prediction', () => {
  it('agrees with the server when the server applied the same inputs: nothing moves back', () => {
    const server = new CoinChase();
    server.join('me', 'me');
    const me = server.state.players.me!;
    const p = new Prediction();
    p.reconcile({ ...me }, 0);
    const seen: Array<{ x: number; y: number }> = [];
    // Ten inputs; the server applies each two ticks later, as with 100 ms of latency.
    const sent: Array<{ dx: number; dy: number; seq: number }> = [];
    for (let tick = 1; tick <= 14; tick++) {
      if (tick <= 10) {
        const seq = p.input(1, tick % 3 === 0 ? 1 : 0, tick * 50);
        sent.push({ dx: 1, dy: tick % 3 === 0 ? 1 : 0, seq });
      }
      const arrived = sent.filter((s) => s.seq === tick - 2);
      for (const s of arrived) server.steer('me', s);
      server.tick();
      const before = { ...p.position! };
      p.reconcile({ ...server.state.players.me! }, tick * 50 + 10);
      seen.push(p.position!);
      // Reconciling never moves the predicted dot: it was right.
      expect(p.position).toEqual(before);
    }
    expect(seen.at(-1)).toEqual({ x: server.state.players.me!.x, y: server.state.players.me!.y });
    expect(p.unacknowledged).toBe(0);
    expect(p.rtt).toBeGreaterThan(0);
  });

  it('takes the server position when the server disagrees', () => {
    const p = new Prediction();
    p.reconcile({ x: 100, y: 100, seq: 0 }, 0);
    p.input(1, 0, 10);
    expect(p.position).toEqual({ x: 100 + SPEED, y: 100 });
    p.reconcile({ x: 300, y: 300, seq: 1 }, 60);
    expect(p.position).toEqual({ x: 300, y: 300 });
  });
});
