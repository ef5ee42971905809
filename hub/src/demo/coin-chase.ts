/**
 * The demo game: players steer dots around an arena and race for a coin.
 * Pure state and rules, shared with the browser, which runs `move` ahead of
 * the server to predict its own dot; game-room.ts moves it over NATS.
 */
export const ARENA = { width: 800, height: 500 } as const;
export const TICK_MS = 50;
/** Pixels a player moves per tick at full input. */
export const SPEED = 6;
const REACH = 18;
/** Players stay this far inside the walls, so a dot is always fully drawn. */
const EDGE = 12;
/** Inputs one player may have waiting for their tick: about half a second. */
const QUEUE_MAX = 10;
const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];

export interface Player {
  name: string;
  x: number;
  y: number;
  color: string;
  score: number;
  /** The newest input applied: the player's client replays the ones after it over this state. */
  seq: number;
  /** Round-trip time the player's client measured, ms, as it last said. */
  rtt?: number;
  bot?: true;
}

export interface CoinChaseState {
  arena: { width: number; height: number };
  players: Record<string, Player>;
  coin: { x: number; y: number };
}

/** A step: `dx`, `dy` in -1..1. With `seq`, one tick's move; without, a direction held until the next. */
export interface Steer {
  dx: number;
  dy: number;
  seq?: number;
  rtt?: number;
}

/** Where a dot at (x, y) is after one tick of `s`: the same on the server and in a predicting browser. */
export function move(x: number, y: number, s: { dx: number; dy: number }): { x: number; y: number } {
  return {
    x: Math.round(clamp(x + s.dx * SPEED, EDGE, ARENA.width - EDGE)),
    y: Math.round(clamp(y + s.dy * SPEED, EDGE, ARENA.height - EDGE)),
  };
}

export class CoinChase {
  readonly state: CoinChaseState = { arena: { ...ARENA }, players: {}, coin: randomSpot() };
  /** Per player, steps waiting for their tick, oldest first. */
  private readonly queued = new Map<string, Steer[]>();
  /** Per player, a direction held (bots and clients that send no seq). */
  private readonly held = new Map<string, Steer>();
  private colorIndex = 0;

  join(id: string, name: string, bot = false): void {
    if (this.state.players[id]) return;
    const spot = randomSpot();
    this.state.players[id] = { name, ...spot, color: COLORS[this.colorIndex++ % COLORS.length]!, score: 0, seq: 0, ...(bot && { bot: true as const }) };
  }

  leave(id: string): void {
    delete this.state.players[id];
    this.queued.delete(id);
    this.held.delete(id);
  }

  has(id: string): boolean {
    return id in this.state.players;
  }

  get size(): number {
    return Object.keys(this.state.players).length;
  }

  /** Takes a checked input; false when the player's queue is full (they send faster than ticks run). */
  steer(id: string, s: Steer): boolean {
    const p = this.state.players[id];
    if (!p) return false;
    if (s.rtt !== undefined) p.rtt = s.rtt;
    if (s.seq === undefined) {
      this.held.set(id, s);
      return true;
    }
    this.held.delete(id);
    const queue = this.queued.get(id) ?? [];
    if (queue.length >= QUEUE_MAX) return false;
    queue.push(s);
    this.queued.set(id, queue);
    return true;
  }

  /** One step; returns the players that took the coin this step. */
  tick(): string[] {
    const winners: string[] = [];
    for (const [id, p] of Object.entries(this.state.players)) {
      const step = this.queued.get(id)?.shift() ?? this.held.get(id);
      if (!step) continue;
      if (step.seq !== undefined) p.seq = step.seq;
      if (step.dx === 0 && step.dy === 0) continue;
      Object.assign(p, move(p.x, p.y, step));
      if (Math.hypot(p.x - this.state.coin.x, p.y - this.state.coin.y) <= REACH) {
        p.score++;
        winners.push(id);
        this.state.coin = randomSpot();
      }
    }
    return winners;
  }
}

function randomSpot(): { x: number; y: number } {
  return { x: Math.round(40 + Math.random() * (ARENA.width - 80)), y: Math.round(40 + Math.random() * (ARENA.height - 80)) };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
