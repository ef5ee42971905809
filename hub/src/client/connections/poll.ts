import type { ServerFrame } from '../../protocol/index.js';
import { CommandSender } from './commands.js';
import { once, type Connector } from './connection.js';

/** The hub answers within 25 s; longer means the connection is dead. */
const POLL_TIMEOUT_MS = 35_000;

interface PollResponse {
  session: string;
  cursor: string;
  frames: ServerFrame[];
}

/** Long-poll down, `POST /api/sessions/<id>` up: plain HTTP requests that pass any proxy. */
export const pollConnector: Connector = ({ base, token, events }) => {
  const guarded = once(events);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const aborter = new AbortController();
  const close = () => {
    aborter.abort();
    guarded.closed();
  };
  const commands = new CommandSender(headers, close);

  void (async () => {
    let session: string | undefined;
    while (!guarded.isClosed()) {
      const url = new URL('/api/poll', base);
      if (session) url.searchParams.set('session', session);
      let body: PollResponse;
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.any([aborter.signal, AbortSignal.timeout(POLL_TIMEOUT_MS)]) });
        if (!res.ok) break;
        body = (await res.json()) as PollResponse;
      } catch {
        break;
      }
      if (!session) commands.ready(new URL(`/api/sessions/${encodeURIComponent(body.session)}`, base));
      session = body.session;
      for (const f of body.frames) guarded.frame(f);
    }
    close();
  })();

  return { kind: 'poll', send: (frames) => commands.send(frames), close };
};
