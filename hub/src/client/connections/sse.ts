import { SERVER_FRAME_TYPES, type ServerFrame } from '../../protocol/index.js';
import { CommandSender } from './commands.js';
import { endpoint, once, tokenHeaders, type Connector } from './connection.js';

/** The subset of EventSource used here. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (ev: { data?: unknown }) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

/**
 * Server-Sent Events down, `POST /api/sessions/<id>` up. EventSource's own
 * reconnect is not used: the client reconnects itself, so it can fall back,
 * back off and resume every channel from its positions.
 */
export function sseConnector(open: EventSourceFactory): Connector {
  return ({ base, token, events }) => {
    const guarded = once(events);
    const source = open(endpoint(base, '/api/sse', token).toString());
    const { headers, setToken } = tokenHeaders(token);
    const commands = new CommandSender(headers, () => close());
    const close = () => {
      source.close();
      guarded.closed();
    };
    for (const type of SERVER_FRAME_TYPES) {
      source.addEventListener(type, (ev) => {
        // An `error` event without data is EventSource reporting a broken stream, not a frame.
        if (typeof ev.data !== 'string') {
          close();
          return;
        }
        const frame = JSON.parse(ev.data) as ServerFrame;
        if (frame.type === 'welcome') commands.ready(new URL(`/api/sessions/${encodeURIComponent(frame.session)}`, base));
        guarded.frame(frame);
      });
    }
    return { kind: 'sse', send: (frames) => commands.send(frames), setToken, close };
  };
}
