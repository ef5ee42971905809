import { connect, StringCodec, type NatsConnection } from 'nats';
import type { Json } from '../protocol/merge-patch.js';
import { CoinChase } from './coin-chase.js';
import { diffState } from './state-diff.js';
import { roomSubject } from '../protocol/index.js';

export const DEMO_ROOM = 'demo';
const TICK_MS = 50;
/** A full state every this many ticks, so a hub that starts late rebuilds the room from a short read. */
const FULL_STATE_EVERY = 40;
const sc = StringCodec();

export interface DemoGameOptions {
  servers: string;
  password: string;
}

/**
 * The demo game server, a separate NATS client as the `game` user, as a real
 * one would be: it hears players' inputs and presence, runs CoinChase at 20 Hz,
 * and publishes full states and merge patches the hub turns into the room.
 */
export class DemoGameServer {
  private readonly game = new CoinChase();
  private last: Json | undefined;
  private tickCount = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly nc: NatsConnection) {}

  static async start(opts: DemoGameOptions): Promise<DemoGameServer> {
    const nc = await connect({ servers: opts.servers.split(','), user: 'game', pass: opts.password, name: 'pulse-demo-game', maxReconnectAttempts: -1 });
    const server = new DemoGameServer(nc);
    server.listen();
    server.timer = setInterval(() => server.tick(), TICK_MS);
    return server;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.nc.drain();
  }

  private listen(): void {
    this.nc.subscribe(roomSubject(DEMO_ROOM, 'presence'), {
      callback: (err, m) => {
        if (err) return;
        const p = readJson(m.data) as { event?: string; member?: { id?: string; name?: string; role?: string } } | undefined;
        const member = p?.member;
        if (typeof member?.id !== 'string' || (member.role !== 'player' && member.role !== 'admin')) return;
        if (p!.event === 'join') this.game.join(member.id, String(member.name ?? member.id));
        if (p!.event === 'leave') this.game.leave(member.id);
      },
    });
    this.nc.subscribe(roomSubject(DEMO_ROOM, 'input'), {
      callback: (err, m) => {
        if (err) return;
        const i = readJson(m.data) as { player?: { id?: string; name?: string }; input?: unknown } | undefined;
        const id = i?.player?.id;
        if (typeof id !== 'string') return;
        // A player already in the room when this server started is known by their first input.
        this.game.join(id, String(i!.player!.name ?? id));
        this.game.steer(id, i!.input);
      },
    });
  }

  private tick(): void {
    this.tickCount++;
    for (const id of this.game.tick()) {
      const p = this.game.state.players[id]!;
      this.publish('events', { type: 'coin', by: { id, name: p.name }, score: p.score });
    }
    const now = JSON.parse(JSON.stringify(this.game.state)) as Json;
    if (this.last === undefined || this.tickCount % FULL_STATE_EVERY === 0) {
      this.publish('state', { tick: this.tickCount, state: now });
    } else {
      const patch = diffState(this.last, now);
      if (patch !== undefined) this.publish('state', { tick: this.tickCount, patch });
    }
    this.last = now;
  }

  private publish(part: 'state' | 'events', payload: unknown): void {
    this.nc.publish(roomSubject(DEMO_ROOM, part), sc.encode(JSON.stringify(payload)));
  }
}

function readJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(sc.decode(data));
  } catch {
    return undefined;
  }
}
