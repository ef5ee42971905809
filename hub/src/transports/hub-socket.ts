import { WebSocket } from 'ws';
import type { Session } from '../session/session.js';

/**
 * ws's WebSocket with what the hub keeps per socket as fields of the socket
 * itself: its listeners are then functions shared by every socket instead of
 * closures each, and nothing per socket sits in a side map. The WebSocket
 * server makes these (its `WebSocket` option).
 */
export class HubSocket extends WebSocket {
  /** Answered the last ping (WsHeartbeat). */
  alive = true;
  /** The session it carries, from its upgrade on. */
  session: Session | undefined = undefined;
}
