import { connect, StringCodec, type NatsConnection } from 'nats';
import { notifySubject, parseRoomSubject, roomSubject } from '../protocol/index.js';
import { GameRoom, type GamePart } from './game-room.js';
import { InputRates, readInput, type InputRefusal } from './input-check.js';

export const DEMO_ROOM = 'demo';
/** Rooms one game server runs at most: a crowd creating rooms by name must not exhaust it. */
const MAX_ROOMS = 200;
/** A player told of refused inputs hears it at most this often. */
const TELL_EVERY_MS = 1_000;
const sc = StringCodec();

export interface GameServerOptions {
  servers: string;
  password: string;
  /** Told of every input dropped, with its reason. */
  onRefused?: (reason: InputRefusal, room: string, detail: string) => void;
}

/**
 * The demo game server, a separate NATS client as the `game` user, as a real
 * one would be: it hears players' inputs and presence on every room, runs a
 * CoinChase per room at 20 Hz while anyone plays in it, and publishes full
 * states and merge patches that the hub turns into the room. A room is made
 * when its first player joins and idles (no ticks) when its last one leaves;
 * presence announces a leave only after its grace, so a player who drops
 * their connection keeps their dot that long.
 */
export class GameServer {
  readonly rooms = new Map<string, GameRoom>();
  /** Inputs dropped, by reason. */
  readonly refused: Record<InputRefusal, number> = { shape: 0, range: 0, rate: 0, queue: 0 };
  private readonly rates = new InputRates();
  private readonly told = new Map<string, number>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly opts: GameServerOptions,
  ) {}

  static async start(opts: GameServerOptions): Promise<GameServer> {
    const nc = await connect({ servers: opts.servers.split(','), user: 'game', pass: opts.password, name: 'pulse-demo-game', maxReconnectAttempts: -1 });
    const server = new GameServer(nc, opts);
    server.listen();
    await nc.flush();
    return server;
  }

  async stop(): Promise<void> {
    for (const room of this.rooms.values()) room.stop();
    await this.nc.drain();
  }

  private listen(): void {
    this.nc.subscribe(roomSubject('*', 'presence'), {
      callback: (err, m) => {
        const room = !err && parseRoomSubject(m.subject)?.room;
        if (!room) return;
        const p = readJson(m.data) as { event?: string; member?: { id?: unknown; name?: unknown; role?: unknown } } | undefined;
        const member = p?.member;
        if (typeof member?.id !== 'string' || (member.role !== 'player' && member.role !== 'admin')) return;
        if (p!.event === 'join') this.room(room)?.join(member.id, String(member.name ?? member.id), member.id.startsWith(BOT_PREFIX));
        if (p!.event === 'leave') {
          this.rooms.get(room)?.leave(member.id);
          this.rates.forget(member.id);
          this.told.delete(member.id);
        }
      },
    });
    this.nc.subscribe(roomSubject('*', 'input'), {
      callback: (err, m) => {
        const name = !err && parseRoomSubject(m.subject)?.room;
        if (!name) return;
        const input = readInput(readJson(m.data));
        if (!input.ok) return this.refuse(name, input.reason, input.detail, input.player?.id);
        const { id } = input.player;
        if (!this.rates.allow(id, Date.now())) return this.refuse(name, 'rate', `more than 20 inputs a second`, id);
        const room = this.room(name);
        if (!room) return;
        // A player already in the room when this server started is known by their first input.
        room.join(id, input.player.name, id.startsWith(BOT_PREFIX));
        if (!room.steer(id, input.steer)) this.refuse(name, 'queue', 'inputs are coming faster than the game ticks', id);
      },
    });
  }

  private room(name: string): GameRoom | undefined {
    let room = this.rooms.get(name);
    if (room) return room;
    if (this.rooms.size >= MAX_ROOMS) this.dropIdleRoom();
    if (this.rooms.size >= MAX_ROOMS) return undefined;
    room = new GameRoom(
      name,
      (part, payload) => this.publish(name, part, payload),
      (user, n) => this.nc.publish(notifySubject(user), sc.encode(JSON.stringify(n))),
    );
    this.rooms.set(name, room);
    return room;
  }

  private dropIdleRoom(): void {
    for (const [name, room] of this.rooms) {
      if (!room.idle) continue;
      this.rooms.delete(name);
      return;
    }
  }

  /** Counts the input and tells its player, once a second at most: a flood of bad inputs is not echoed as a flood of events. */
  private refuse(room: string, reason: InputRefusal, detail: string, player: string | undefined): void {
    this.refused[reason]++;
    this.opts.onRefused?.(reason, room, detail);
    if (player === undefined) return;
    const now = Date.now();
    if (now - (this.told.get(player) ?? -Infinity) < TELL_EVERY_MS) return;
    this.told.set(player, now);
    this.publish(room, 'events', { type: 'input_refused', player: { id: player }, reason, detail });
  }

  private publish(room: string, part: GamePart, payload: unknown): void {
    this.nc.publish(roomSubject(room, part), sc.encode(JSON.stringify(payload)));
  }
}

/** Bot players' ids start with this; people's ids come from their tokens and never do. */
export const BOT_PREFIX = 'bot:';

function readJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(sc.decode(data));
  } catch {
    return undefined;
  }
}
