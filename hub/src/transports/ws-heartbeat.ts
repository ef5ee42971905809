import type { WebSocket } from 'ws';
import { SlicedRound } from './sliced-timer.js';

const ALIVE = Symbol('alive');
type Watched = WebSocket & { [ALIVE]?: boolean };

/**
 * WebSocket-level pings, each socket once per interval, in slices spread over
 * the interval (SlicedRound). A socket that has not answered the previous
 * ping by the next one is dead and is terminated, so a vanished peer is
 * noticed within two intervals.
 */
export class WsHeartbeat {
  private readonly round: SlicedRound<Watched>;

  constructor(intervalMs: number) {
    this.round = new SlicedRound(intervalMs, (ws) => this.beat(ws));
  }

  add(ws: Watched): void {
    ws[ALIVE] = true;
    ws.on('pong', markAlive);
    this.round.add(ws);
  }

  remove(ws: Watched): void {
    this.round.delete(ws);
  }

  stop(): void {
    this.round.stop();
  }

  private beat(ws: Watched): void {
    if (!ws[ALIVE]) {
      this.round.delete(ws);
      ws.terminate();
      return;
    }
    ws[ALIVE] = false;
    ws.ping();
  }
}

// One listener function for every socket, instead of a closure each.
function markAlive(this: Watched): void {
  this[ALIVE] = true;
}
