import { connect, StringCodec, type NatsConnection } from 'nats';
import { mergePatch, roomSubject, type Json } from '../protocol/index.js';
import type { CoinChaseState } from './coin-chase.js';
import { BOT_PREFIX } from './game-server.js';

/** How many players a room keeps with bots: they make way as people join. */
export const ROOM_BOTS = 3;
/** Bots decide a new direction this often: a held direction between, as a person with a keyboard. */
const STEER_EVERY_MS = 250;
const NAMES = ['Ada', 'Grace', 'Linus', 'Barbara', 'Edsger'];
const sc = StringCodec();

/**
 * Bot players that keep a room alive for whoever opens it. They play through
 * the same path as people: the hub's NATS user announces them on
 * `rooms.<room>.presence` and sends their inputs on `rooms.<room>.input`,
 * which the game server checks like any other. They watch the room's state
 * to chase the coin, and the room's presence to count the people playing:
 * there are as many bots as the room lacks people, up to ROOM_BOTS.
 */
export class RoomBots {
  private readonly people = new Set<string>();
  private readonly playing: Array<{ id: string; name: string }> = [];
  private state: Json | undefined;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly room: string,
    private readonly count: number,
  ) {
    this.timer = setInterval(() => this.steer(), STEER_EVERY_MS);
  }

  static async start(opts: { servers: string; password: string; room: string; count?: number }): Promise<RoomBots> {
    const nc = await connect({ servers: opts.servers.split(','), user: 'hub', pass: opts.password, name: `pulse-bots-${opts.room}`, maxReconnectAttempts: -1 });
    const bots = new RoomBots(nc, opts.room, opts.count ?? ROOM_BOTS);
    bots.listen();
    bots.balance();
    await nc.flush();
    return bots;
  }

  /** The bots playing now. */
  get bots(): number {
    return this.playing.length;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.playing.length > 0) this.announce('leave', this.playing.pop()!);
    await this.nc.drain();
  }

  private listen(): void {
    this.nc.subscribe(roomSubject(this.room, 'presence'), {
      callback: (err, m) => {
        if (err) return;
        const p = readJson(m.data) as { event?: string; member?: { id?: unknown; role?: unknown } } | undefined;
        const id = p?.member?.id;
        if (typeof id !== 'string' || id.startsWith(BOT_PREFIX) || (p!.member!.role !== 'player' && p!.member!.role !== 'admin')) return;
        if (p!.event === 'join') this.people.add(id);
        if (p!.event === 'leave') this.people.delete(id);
        this.balance();
      },
    });
    this.nc.subscribe(roomSubject(this.room, 'state'), {
      callback: (err, m) => {
        const u = !err && (readJson(m.data) as { state?: Json; patch?: Json } | undefined);
        if (!u) return;
        if (u.state !== undefined) this.state = u.state;
        else if (u.patch !== undefined && this.state !== undefined) this.state = mergePatch(this.state, u.patch);
        // A game server that restarted forgot the bots: they join again with their next input.
      },
    });
  }

  private balance(): void {
    const want = Math.max(0, this.count - this.people.size);
    while (this.playing.length > want) this.announce('leave', this.playing.pop()!);
    while (this.playing.length < want) {
      const n = this.playing.length;
      const bot = { id: `${BOT_PREFIX}${this.room}-${n + 1}`, name: `${NAMES[n % NAMES.length]} (bot)` };
      this.playing.push(bot);
      this.announce('join', bot);
    }
  }

  private announce(event: 'join' | 'leave', bot: { id: string; name: string }): void {
    this.nc.publish(roomSubject(this.room, 'presence'), sc.encode(JSON.stringify({ event, member: { ...bot, role: 'player' } })));
  }

  /** Each bot heads for the coin, wobbling a little so they do not all move alike. */
  private steer(): void {
    const game = this.state as CoinChaseState | undefined;
    for (const bot of this.playing) {
      const me = game?.players?.[bot.id];
      const coin = game?.coin;
      let dx = Math.random() * 2 - 1;
      let dy = Math.random() * 2 - 1;
      if (me && coin) {
        const d = Math.hypot(coin.x - me.x, coin.y - me.y) || 1;
        dx = (coin.x - me.x) / d + (Math.random() - 0.5) * 0.6;
        dy = (coin.y - me.y) / d + (Math.random() - 0.5) * 0.6;
      }
      const input = { dx: clampUnit(dx), dy: clampUnit(dy) };
      this.nc.publish(roomSubject(this.room, 'input'), sc.encode(JSON.stringify({ player: bot, input, ts: Date.now() })));
    }
  }
}

function clampUnit(v: number): number {
  return Math.round(Math.min(1, Math.max(-1, v)) * 100) / 100;
}

function readJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(sc.decode(data));
  } catch {
    return undefined;
  }
}
