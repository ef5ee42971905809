import { move, type CoinChaseState } from '@pulse/hub/demo';

/**
 * Other players are drawn this far in the past, between the two states
 * around that moment: at 20 ticks a second two states are 50 ms apart, so
 * one late state still leaves one to move toward.
 */
export const RENDER_DELAY_MS = 100;
/** States kept for interpolation: a second's worth. */
const KEEP = 20;

type Positions = Map<string, { x: number; y: number }>;

/** The states the room received, with when, for drawing every frame between them. */
export class Snapshots {
  private readonly list: Array<{ at: number; players: Positions }> = [];

  push(at: number, state: CoinChaseState): void {
    this.list.push({ at, players: new Map(Object.entries(state.players).map(([id, p]) => [id, { x: p.x, y: p.y }])) });
    if (this.list.length > KEEP) this.list.shift();
  }

  /** Where `id` was at `t`, between the states around it; the newest position past them. */
  positionAt(id: string, t: number): { x: number; y: number } | undefined {
    const l = this.list;
    for (let i = l.length - 1; i > 0; i--) {
      const b = l[i]!;
      const a = l[i - 1]!;
      if (a.at > t) continue;
      const pb = b.players.get(id);
      const pa = a.players.get(id);
      if (!pb) return pa && t < b.at ? pa : undefined;
      if (!pa || t >= b.at) return pb;
      const k = (t - a.at) / (b.at - a.at);
      return { x: pa.x + (pb.x - pa.x) * k, y: pa.y + (pb.y - pa.y) * k };
    }
    return l[0]?.players.get(id) ?? l.at(-1)?.players.get(id);
  }
}

/**
 * The own dot, ahead of the server: each input moves it at once, and each
 * state from the server puts it where the server says plus the inputs the
 * server has not applied yet (by `seq`, which the server echoes). When the
 * prediction was right the two agree and nothing moves back.
 */
export class Prediction {
  private pending: Array<{ seq: number; dx: number; dy: number; sentAt: number }> = [];
  private seq = 0;
  position: { x: number; y: number } | undefined;
  /** Round-trip time from an input to the state that applied it, smoothed; undefined before the first. */
  rtt: number | undefined;

  /** The next input's seq, after applying it here. */
  input(dx: number, dy: number, now: number): number {
    this.seq++;
    this.pending.push({ seq: this.seq, dx, dy, sentAt: now });
    // Inputs the server never acknowledges (a dropped connection) are not replayed forever.
    if (this.pending.length > 40) this.pending.shift();
    if (this.position) this.position = move(this.position.x, this.position.y, { dx, dy });
    return this.seq;
  }

  /** The server's view of the own dot: where it is after input `ack`. */
  reconcile(server: { x: number; y: number; seq: number }, now: number): void {
    const acked = this.pending.find((p) => p.seq === server.seq);
    if (acked) this.rtt = this.rtt === undefined ? now - acked.sentAt : this.rtt * 0.8 + (now - acked.sentAt) * 0.2;
    this.pending = this.pending.filter((p) => p.seq > server.seq);
    let at = { x: server.x, y: server.y };
    for (const p of this.pending) at = move(at.x, at.y, p);
    this.position = at;
  }

  /** Inputs sent and not yet applied by the server. */
  get unacknowledged(): number {
    return this.pending.length;
  }
}
