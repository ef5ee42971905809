import type { Context, MiddlewareHandler } from 'hono';
import { ErrorCode, NatsError, type NatsConnection, type Subscription } from 'nats';
import { sessionRequestsSubject } from '../bus/subjects.js';
import { processOfSession } from '../session/session-id.js';
import { errorResponse, sessionEndedResponse } from './errors.js';

/**
 * A forwarded poll waits at most this long at its owner (the poll's `wait`).
 * A request or its answer can vanish with a NATS node, unseen by either
 * process; a short wait bounds how long a client stays stuck behind one.
 */
export const FORWARDED_POLL_WAIT_MS = 5_000;
/** The owner answers within FORWARDED_POLL_WAIT_MS; much longer means the request or its answer was lost. */
const FORWARD_TIMEOUT_MS = FORWARDED_POLL_WAIT_MS + 4_000;
/** While a forwarded request waits, whether its owner still listens is asked this often (see untilGone). */
const PROBE_EVERY_MS = 1_000;
const PROBE = new Uint8Array(0);
/** Hop-by-hop headers describe one connection, not the request. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'content-length', 'transfer-encoding', 'upgrade']);

/** An HTTP request or response as it crosses NATS between hub processes. */
interface Carried {
  method?: string;
  url?: string;
  status?: number;
  headers: Array<[string, string]>;
  body: string;
}

export interface ForwardingEvents {
  forwarded: (outcome: 'answered' | 'owner_gone' | 'owner_silent') => void;
  failed: (err: unknown) => void;
}

/**
 * Any hub process serves any SSE or poll session. A poll or a command for a
 * session held by another process (the id names it) goes to that process
 * over NATS, the only link between processes, and its answer comes back as
 * the answer to this request: same status, same body, within the poll's
 * bound. The owner runs the request through its own app, so authentication,
 * ownership and every error are exactly what a direct request would get.
 * Commands stay in order because the client sends one request at a time and
 * each is answered only once the owner has taken it.
 *
 * When the owner is gone (nobody listens on its subject), the session is
 * over: 410, and the client resumes with its cursor on any process. When
 * the answer cannot come (this process lost its NATS connection, or the
 * owner stayed silent), the client is told at once with `overloaded` and
 * resumes the same way: nothing is lost, since the owner keeps what it has
 * not seen acknowledged.
 */
export class SessionForwarding {
  private subscription: Subscription | undefined;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  /** How to fail each request waiting for an answer, when this process's NATS connection drops. */
  private readonly waiting = new Set<(err: Error) => void>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly processId: string,
    private readonly events: ForwardingEvents,
  ) {
    void this.watchConnection();
  }

  /** Passes requests for this process's sessions on; forwards the others to their owner. */
  route(sessionOf: (c: Context) => string | undefined): MiddlewareHandler {
    return async (c, next) => {
      const id = sessionOf(c);
      const owner = id === undefined ? undefined : processOfSession(id);
      if (owner === undefined || owner === this.processId) return next();
      // The body is bounded already (requestBodyLimit).
      const body = c.req.method === 'GET' ? '' : await c.req.text();
      const headers = [...c.req.raw.headers].filter(([name]) => !NOT_FORWARDED.has(name));
      const request: Carried = { method: c.req.method, url: shortWait(c.req.url), headers, body };
      const waiting = { over: false };
      let failWaiting: ((err: Error) => void) | undefined;
      try {
        const pending = this.nc.request(sessionRequestsSubject(owner), this.encoder.encode(JSON.stringify(request)), { timeout: FORWARD_TIMEOUT_MS });
        pending.catch(() => undefined);
        const dropped = new Promise<never>((_, reject) => this.waiting.add((failWaiting = reject)));
        const reply = await Promise.race([pending, dropped, this.untilGone(owner, waiting)]);
        const answer = JSON.parse(this.decoder.decode(reply.data)) as Carried;
        this.events.forwarded('answered');
        return new Response(answer.body, { status: answer.status, headers: answer.headers });
      } catch (err) {
        if (err instanceof NatsError && err.code === ErrorCode.NoResponders) {
          this.events.forwarded('owner_gone');
          return sessionEndedResponse(c, 'the hub process holding this session is gone; open a new session with your cursor');
        }
        this.events.forwarded('owner_silent');
        return errorResponse(c, { code: 'overloaded', message: 'the hub process holding this session did not answer; open a new session with your cursor' });
      } finally {
        waiting.over = true;
        if (failWaiting) this.waiting.delete(failWaiting);
      }
    };
  }

  /**
   * Rejects with NoResponders once `owner` is gone while a request to it
   * waits. A process that dies after taking a request never answers it, and
   * NATS says nobody listens only to a new request: an empty probe asks, every
   * PROBE_EVERY_MS, so a client learns within seconds that its session moved.
   */
  private async untilGone(owner: string, waiting: { over: boolean }): Promise<never> {
    for (;;) {
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
      if (waiting.over) return new Promise<never>(() => undefined);
      try {
        await this.nc.request(sessionRequestsSubject(owner), PROBE, { timeout: PROBE_EVERY_MS });
      } catch (err) {
        if (err instanceof NatsError && err.code === ErrorCode.NoResponders) throw err;
      }
    }
  }

  /** Answers the requests other processes forward here by running them through `app`. */
  serve(app: { fetch: (request: Request) => Response | Promise<Response> }): void {
    this.subscription = this.nc.subscribe(sessionRequestsSubject(this.processId), {
      callback: (err, msg) => {
        if (err) return;
        if (msg.data.length === 0) {
          msg.respond(PROBE);
          return;
        }
        void (async () => {
          try {
            const carried = JSON.parse(this.decoder.decode(msg.data)) as Carried;
            const res = await app.fetch(
              new Request(carried.url!, { method: carried.method, headers: carried.headers, body: carried.method === 'GET' ? undefined : carried.body }),
            );
            const answer: Carried = { status: res.status, headers: [...res.headers], body: await res.text() };
            msg.respond(this.encoder.encode(JSON.stringify(answer)));
          } catch (e) {
            this.events.failed(e);
          }
        })();
      },
    });
  }

  /** Forwarded requests waiting for their owner's answer now. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  /** Fails every request in flight when the connection drops: their answers, if any come, are lost with it. */
  private async watchConnection(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type !== 'disconnect') continue;
      const err = new Error('NATS connection lost');
      for (const fail of this.waiting) fail(err);
      this.waiting.clear();
    }
  }
}

/** The URL with its poll `wait` at most FORWARDED_POLL_WAIT_MS; a command's URL has none and keeps it that way. */
function shortWait(url: string): string {
  const u = new URL(url);
  if (u.pathname !== '/api/poll') return url;
  const asked = Number(u.searchParams.get('wait') ?? Infinity);
  u.searchParams.set('wait', String(Math.min(asked, FORWARDED_POLL_WAIT_MS)));
  return u.toString();
}
