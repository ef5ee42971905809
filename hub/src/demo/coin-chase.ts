/**
 * The demo game: players steer dots around an arena and race for a coin.
 * Pure state and rules; game-server.ts moves it over NATS.
 */
export const ARENA = { width: 800, height: 500 } as const;
/** Pixels a player moves per tick at full input. */
const SPEED = 6;
const REACH = 18;
/** Players stay this far inside the walls, so a dot is always fully drawn. */
const EDGE = 12;
const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];

export interface Player {
  name: string;
  x: number;
  y: number;
  color: string;
  score: number;
}

export interface CoinChaseState {
  arena: { width: number; height: number };
  players: Record<string, Player>;
  coin: { x: number; y: number };
}

export interface Steer {
  dx: number;
  dy: number;
}

export class CoinChase {
  readonly state: CoinChaseState = { arena: { ...ARENA }, players: {}, coin: randomSpot() };
  private readonly steering = new Map<string, Steer>();
  private colorIndex = 0;

  join(id: string, name: string): void {
    if (this.state.players[id]) return;
    const spot = randomSpot();
    this.state.players[id] = { name, ...spot, color: COLORS[this.colorIndex++ % COLORS.length]!, score: 0 };
  }

  leave(id: string): void {
    delete this.state.players[id];
    this.steering.delete(id);
  }

  /** A player's input: `{"dx","dy"}` in -1..1, held until the next one. Anything else is ignored. */
  steer(id: string, input: unknown): void {
    if (typeof input !== 'object' || input === null) return;
    const { dx, dy } = input as Record<string, unknown>;
    if (typeof dx !== 'number' || typeof dy !== 'number' || !Number.isFinite(dx) || !Number.isFinite(dy)) return;
    this.steering.set(id, { dx: clamp(dx, -1, 1), dy: clamp(dy, -1, 1) });
  }

  /** One step; returns the players that took the coin this step. */
  tick(): string[] {
    const winners: string[] = [];
    for (const [id, s] of this.steering) {
      const p = this.state.players[id];
      if (!p || (s.dx === 0 && s.dy === 0)) continue;
      p.x = Math.round(clamp(p.x + s.dx * SPEED, EDGE, ARENA.width - EDGE));
      p.y = Math.round(clamp(p.y + s.dy * SPEED, EDGE, ARENA.height - EDGE));
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
