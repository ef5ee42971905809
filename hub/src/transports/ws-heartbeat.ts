import type { WebSocket } from 'ws';
import type { HubSocket } from './hub-socket.js';
import { SlicedRound } from './sliced-timer.js';

/**
 * WebSocket-level pings, each socket once per interval, in slices spread over
 * the interval (SlicedRound). A socket that has not answered the previous
 * ping by the next one is dead and is terminated, so a vanished peer is
 * noticed within two intervals.
 */
export class WsHeartbeat {
  private readonly round: SlicedRound<HubSocket>;

  constructor(
    intervalMs: number,
    /** A socket was dropped for missing its pong. */
    private readonly onDead: () => void,
  ) {
    this.round = new SlicedRound(intervalMs, (ws) => this.beat(ws));
  }

  add(ws: HubSocket): void {
    ws.alive = true;
    ws.on('pong', markAlive);
    this.round.add(ws);
  }

  remove(ws: HubSocket): void {
    this.round.delete(ws);
  }

  stop(): void {
    this.round.stop();
  }

  private beat(ws: HubSocket): void {
    if (!ws.alive) {
      this.round.delete(ws);
      this.onDead();
      ws.terminate();
      return;
    }
    ws.alive = false;
    ws.ping();
  }
}

// One listener function for every socket, instead of a closure each.
function markAlive(this: WebSocket): void {
  (this as HubSocket).alive = true;
}
