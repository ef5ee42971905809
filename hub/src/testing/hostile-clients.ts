import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import WebSocket from 'ws';

export interface HostileOptions {
  /** The hub's base URL (http://host:port). */
  url: string;
  /** The room the honest clients watch: stalled streams and `since: 0` storms aim at it. */
  room: string;
  /** Connections each kind of attacker holds at once. */
  concurrency?: Partial<Record<AttackKind, number>>;
  /** How long a stalled connection stays unread before the attacker looks whether the hub cut it. */
  stallHoldMs?: number;
}

/**
 * The attacks of issue 13's abuse scenario, each a few loops that run until
 * stopped: random room names by the thousand, subscribe and `since: 0`
 * storms, oversized chunked bodies, streams that are never read,
 * connections dropped right after the upgrade, and sessions that never
 * subscribe.
 */
export type AttackKind = 'roam' | 'since' | 'bodies' | 'stall' | 'drop' | 'idle';

const DEFAULT_CONCURRENCY: Record<AttackKind, number> = { roam: 8, since: 8, bodies: 2, stall: 16, drop: 2, idle: 16 };

/** What the attackers did, and how the hub answered. */
export interface HostileTally {
  connections: number;
  randomSubscribes: number;
  sinceSubscribes: number;
  oversizedBodies: number;
  /** HTTP statuses answering the oversized bodies. */
  bodyAnswers: Record<string, number>;
  stalledConnections: number;
  /** Stalled connections found cut by the hub when the attacker looked again. */
  stalledCut: number;
  droppedUpgrades: number;
  /** `error` frames the hub sent, by code. */
  errorFrames: Record<string, number>;
  /** WebSocket close codes the hub sent. */
  closeCodes: Record<string, number>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const randomRoom = () => `room:r${randomBytes(6).toString('hex')}`;

/** Hostile clients against one hub, for the load tool's abuse scenario and its short integration test. */
export class HostileClients {
  private stopped = false;
  private readonly loops: Array<Promise<void>> = [];
  private readonly open = new Set<{ destroy(): void }>();
  private readonly tally: HostileTally = {
    connections: 0,
    randomSubscribes: 0,
    sinceSubscribes: 0,
    oversizedBodies: 0,
    bodyAnswers: {},
    stalledConnections: 0,
    stalledCut: 0,
    droppedUpgrades: 0,
    errorFrames: {},
    closeCodes: {},
  };
  private readonly wsUrl: string;
  private readonly port: number;

  private constructor(private readonly o: HostileOptions) {
    this.wsUrl = `${o.url.replace(/^http/, 'ws')}/ws`;
    this.port = Number(new URL(o.url).port);
  }

  static start(o: HostileOptions): HostileClients {
    const h = new HostileClients(o);
    const attacks: Record<AttackKind, () => Promise<void>> = {
      roam: () => h.roam(),
      since: () => h.sinceStorm(),
      bodies: () => h.oversizedBody(),
      stall: () => h.stall(),
      drop: () => h.dropAfterUpgrade(),
      idle: () => h.idle(),
    };
    for (const kind of Object.keys(attacks) as AttackKind[]) {
      const n = o.concurrency?.[kind] ?? DEFAULT_CONCURRENCY[kind];
      for (let i = 0; i < n; i++) h.loops.push(h.loop(attacks[kind]));
    }
    return h;
  }

  /** Stops every attack, drops every connection still open, and reports. */
  async stop(): Promise<HostileTally> {
    this.stopped = true;
    for (const c of this.open) c.destroy();
    await Promise.all(this.loops);
    return this.tally;
  }

  private async loop(attack: () => Promise<void>): Promise<void> {
    while (!this.stopped) {
      await attack().catch(() => undefined);
      // Paced, so that the attackers do not take the load machine's CPU from the honest clients.
      await sleep(50);
    }
  }

  /** A WebSocket whose frames are tallied; resolves when it closes. */
  private socket(onOpen: (ws: WebSocket) => void, onFrame: (ws: WebSocket, text: string) => void = () => undefined): Promise<void> {
    return new Promise((done) => {
      const ws = new WebSocket(this.wsUrl, { perMessageDeflate: false });
      const handle = { destroy: () => ws.terminate() };
      this.open.add(handle);
      this.tally.connections++;
      ws.on('message', (data) => {
        const text = data.toString();
        if (text.startsWith('{"type":"welcome"')) onOpen(ws);
        else if (text.startsWith('{"type":"error"')) {
          const code = (JSON.parse(text) as { code: string }).code;
          this.tally.errorFrames[code] = (this.tally.errorFrames[code] ?? 0) + 1;
        }
        onFrame(ws, text);
      });
      ws.on('error', () => undefined);
      ws.on('close', (code) => {
        this.open.delete(handle);
        this.tally.closeCodes[code] = (this.tally.closeCodes[code] ?? 0) + 1;
        done();
      });
    });
  }

  /** Subscribes to random room names without end, far past every budget, until the hub closes it. */
  private roam(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return this.socket((ws) => {
      const burst = () => {
        if (ws.readyState !== WebSocket.OPEN || this.stopped) return ws.terminate();
        for (let i = 0; i < 100; i++) ws.send(JSON.stringify({ type: 'subscribe', ch: randomRoom() }));
        this.tally.randomSubscribes += 100;
      };
      burst();
      timer = setInterval(burst, 200);
    }).finally(() => clearInterval(timer));
  }

  /** Asks for the honest room's whole history again and again. */
  private sinceStorm(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return this.socket((ws) => {
      const burst = () => {
        if (ws.readyState !== WebSocket.OPEN || this.stopped) return ws.terminate();
        for (let i = 0; i < 20; i++) ws.send(JSON.stringify({ type: 'subscribe', ch: `room:${this.o.room}`, since: 0 }));
        this.tally.sinceSubscribes += 20;
      };
      burst();
      timer = setInterval(burst, 100);
    }).finally(() => clearInterval(timer));
  }

  /** Sends a chunked body of up to 8 MiB to a POST route, until the hub answers. */
  private oversizedBody(): Promise<void> {
    const path = this.tally.oversizedBodies % 2 === 0 ? `/api/sessions/${randomBytes(8).toString('hex')}` : '/api/login';
    this.tally.oversizedBodies++;
    return new Promise((done) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, method: 'POST', path, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
      const handle = { destroy: () => req.destroy() };
      this.open.add(handle);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      let answered = false;
      const finish = () => {
        this.open.delete(handle);
        done();
      };
      req.on('response', (res) => {
        answered = true;
        this.tally.bodyAnswers[res.statusCode ?? 0] = (this.tally.bodyAnswers[res.statusCode ?? 0] ?? 0) + 1;
        res.resume();
        res.on('end', () => req.destroy());
      });
      req.on('error', () => undefined);
      req.on('close', finish);
      const pump = () => {
        while (!answered && !this.stopped && sent < 8 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      pump();
    });
  }

  /** An SSE stream or a WebSocket on the honest room that is never read; looks later whether the hub cut it. */
  private async stall(): Promise<void> {
    const sse = this.tally.stalledConnections % 2 === 0;
    this.tally.stalledConnections++;
    const request = sse
      ? `GET /api/sse?ch=room:${this.o.room} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`
      : `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    const socket = await this.raw(request);
    if (!socket) return;
    if (!sse) socket.write(maskedText(JSON.stringify({ type: 'subscribe', ch: `room:${this.o.room}` })));
    socket.pause();
    let closed = false;
    socket.once('close', () => (closed = true));
    const until = Date.now() + (this.o.stallHoldMs ?? 30_000);
    while (!this.stopped && Date.now() < until) await sleep(250);
    // Reading again shows whether the hub reset it meanwhile.
    socket.resume();
    await sleep(500);
    if (closed) this.tally.stalledCut++;
    socket.destroy();
  }

  /** A WebSocket upgrade, dropped as soon as it is accepted. */
  private async dropAfterUpgrade(): Promise<void> {
    const socket = await this.raw(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    socket?.destroy();
    if (socket) this.tally.droppedUpgrades++;
  }

  /** A session that never subscribes, held until the hub closes it. */
  private idle(): Promise<void> {
    return this.socket(() => undefined);
  }

  /**
   * A TCP connection that sent `request` and received the first bytes of the
   * answer. From then on the caller owns it: stop() leaves it alone, so that
   * a stalled one is found cut by the hub, not by its own attacker.
   */
  private raw(request: string): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const socket = tcpConnect(this.port, '127.0.0.1', () => socket.write(request));
      const handle = { destroy: () => socket.destroy() };
      this.open.add(handle);
      this.tally.connections++;
      const settle = (s: Socket | undefined) => {
        this.open.delete(handle);
        resolve(s);
      };
      socket.once('data', () => settle(socket));
      socket.on('error', () => settle(undefined));
      socket.once('close', () => settle(undefined));
    });
  }
}

/** One masked WebSocket text frame, as a client must send it (payloads under 126 bytes). */
export function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const masked = payload.map((b, i) => b ^ mask[i % 4]!);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(masked)]);
}
