import type { Json } from '../protocol/merge-patch.js';
import type { NotificationInput } from '../protocol/index.js';
import { CoinChase, TICK_MS, type Steer } from './coin-chase.js';
import { diffState } from './state-diff.js';

/** A full state every this many ticks, so a hub that starts late rebuilds the room from a short read. */
const FULL_STATE_EVERY = 40;

export type GamePart = 'state' | 'events';

/**
 * One room's game: it ticks only while someone plays in it, and publishes a
 * full state, then merge patches, and an event per coin taken.
 */
export class GameRoom {
  readonly game = new CoinChase();
  private last: Json | undefined;
  private ticks = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Who leads the room on score. */
  private leader: string | undefined;

  constructor(
    readonly name: string,
    private readonly publish: (part: GamePart, payload: unknown) => void,
    /** A person who lost the lead hears it in their inbox. */
    private readonly notify: (user: string, n: NotificationInput) => void = () => undefined,
  ) {}

  join(id: string, name: string, bot = false): void {
    this.game.join(id, name, bot);
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  leave(id: string): void {
    if (!this.game.has(id)) return;
    this.game.leave(id);
    // The empty room is published once, then idles without ticks.
    if (this.game.size === 0) {
      this.tick();
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  steer(id: string, s: Steer): boolean {
    return this.game.steer(id, s);
  }

  get idle(): boolean {
    return this.timer === undefined;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private followLead(): void {
    const players = this.game.state.players;
    const before = this.leader === undefined ? undefined : players[this.leader];
    let lead = this.leader;
    for (const [id, p] of Object.entries(players)) if (p.score > (lead === undefined ? -1 : (players[lead]?.score ?? -1))) lead = id;
    if (lead === this.leader) return;
    const lost = this.leader;
    this.leader = lead;
    if (lost === undefined || !before || before.bot || lead === undefined) return;
    const now = players[lead]!;
    this.notify(lost, {
      title: `You lost the lead in room ${this.name}`,
      body: `${now.name} leads with ${now.score}; you have ${before.score}.`,
      kind: 'game',
      data: { url: `/rooms/${encodeURIComponent(this.name)}` },
    });
  }

  private tick(): void {
    this.ticks++;
    const scored = this.game.tick();
    for (const id of scored) {
      const p = this.game.state.players[id]!;
      this.publish('events', { type: 'coin', by: { id, name: p.name }, score: p.score });
    }
    if (scored.length > 0) this.followLead();
    const now = JSON.parse(JSON.stringify(this.game.state)) as Json;
    if (this.last === undefined || this.ticks % FULL_STATE_EVERY === 0) {
      this.publish('state', { tick: this.ticks, state: now });
    } else {
      const patch = diffState(this.last, now);
      if (patch !== undefined) this.publish('state', { tick: this.ticks, patch });
    }
    this.last = now;
  }
}
