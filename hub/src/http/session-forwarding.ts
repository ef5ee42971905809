import type { Context, MiddlewareHandler } from 'hono';
import { ErrorCode, NatsError, type NatsConnection, type Subscription } from 'nats';
import { sessionRequestsSubject } from '../bus/subjects.js';
import { processOfSession } from '../session/session-id.js';
import { POLL_WAIT_MS } from '../transports/poll.js';
import { errorResponse, sessionEndedResponse } from './errors.js';

/** The owner answers a poll within POLL_WAIT_MS; longer means it is stuck, not waiting. */
const FORWARD_TIMEOUT_MS = POLL_WAIT_MS + 5_000;
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
 * over: 410, and the client resumes with its cursor on any process.
 */
export class SessionForwarding {
  private subscription: Subscription | undefined;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly nc: NatsConnection,
    private readonly processId: string,
    private readonly events: ForwardingEvents,
  ) {}

  /** Passes requests for this process's sessions on; forwards the others to their owner. */
  route(sessionOf: (c: Context) => string | undefined): MiddlewareHandler {
    return async (c, next) => {
      const id = sessionOf(c);
      const owner = id === undefined ? undefined : processOfSession(id);
      if (owner === undefined || owner === this.processId) return next();
      // The body is bounded already (requestBodyLimit).
      const body = c.req.method === 'GET' ? '' : await c.req.text();
      const headers = [...c.req.raw.headers].filter(([name]) => !NOT_FORWARDED.has(name));
      const request: Carried = { method: c.req.method, url: c.req.url, headers, body };
      try {
        const reply = await this.nc.request(sessionRequestsSubject(owner), this.encoder.encode(JSON.stringify(request)), { timeout: FORWARD_TIMEOUT_MS });
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
      }
    };
  }

  /** Answers the requests other processes forward here by running them through `app`. */
  serve(app: { fetch: (request: Request) => Response | Promise<Response> }): void {
    this.subscription = this.nc.subscribe(sessionRequestsSubject(this.processId), {
      callback: (err, msg) => {
        if (err) return;
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

  stop(): void {
    this.subscription?.unsubscribe();
  }
}
