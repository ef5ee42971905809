import type { ServerFrame } from '../../protocol/index.js';
import { CommandSender } from './commands.js';
import { endpoint, once, tokenHeaders, type Connector } from './connection.js';

/** The hub answers within 25 s; longer means the connection is dead. */
const POLL_TIMEOUT_MS = 35_000;
/**
 * Polls of one session that may fail in a row before the connection is given
 * up: each retry carries the cursor of the last answer received, so the hub
 * sends again whatever a lost answer held.
 */
const MAX_FAILED_POLLS = 2;
const RETRY_AFTER_MS = 500;

interface PollResponse {
  session: string;
  cursor: string;
  frames: ServerFrame[];
}

/** Long-poll down, `POST /api/sessions/<id>` up: plain HTTP requests that pass any proxy. */
export const pollConnector: Connector = ({ base, token, events }) => {
  const guarded = once(events);
  const { headers, setToken } = tokenHeaders(token);
  const aborter = new AbortController();
  const close = () => {
    aborter.abort();
    guarded.closed();
  };
  const commands = new CommandSender(headers, close);

  void (async () => {
    let session: string | undefined;
    let cursor: string | undefined;
    let failed = 0;
    while (!guarded.isClosed()) {
      let url = new URL('/api/poll', base);
      if (session && cursor) {
        url.searchParams.set('session', session);
        url.searchParams.set('cursor', cursor);
      } else url = endpoint(base, '/api/poll', undefined);
      let body: PollResponse;
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.any([aborter.signal, AbortSignal.timeout(POLL_TIMEOUT_MS)]) });
        if (!res.ok) break;
        body = (await res.json()) as PollResponse;
      } catch {
        // Only a session already open is worth polling again: its answers wait for an acknowledgement.
        if (!session || aborter.signal.aborted || ++failed > MAX_FAILED_POLLS) break;
        await new Promise((r) => setTimeout(r, RETRY_AFTER_MS));
        continue;
      }
      failed = 0;
      if (!session) commands.ready(new URL(`/api/sessions/${encodeURIComponent(body.session)}`, base));
      session = body.session;
      cursor = body.cursor;
      for (const f of body.frames) guarded.frame(f);
    }
    close();
  })();

  return { kind: 'poll', send: (frames) => commands.send(frames), setToken, close };
};
