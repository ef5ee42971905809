import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hono, MiddlewareHandler } from 'hono';
import { createNodeWebSocket } from '@hono/node-ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { closeCodeOf, DOC_EDIT_MAX_BYTES, httpStatusOf, MAX_FRAME_BYTES, parseChannel, type HttpErrorBody, type User } from '../protocol/index.js';
import { canSubscribe, canWriteDoc } from '../session/permissions.js';
import type { YjsDocs } from '../docs/yjs-docs.js';
import type { AuthEnv } from '../http/auth.js';
import { errorResponse } from '../http/errors.js';
import type { SessionTable } from '../session/session-table.js';
import { readStreamRequest, type StreamLimits, type StreamRequest } from './stream-request.js';
import { HubSocket } from './hub-socket.js';
import type { WsHeartbeat } from './ws-heartbeat.js';
import { WsTransport } from './ws.js';
import { corkForTurn } from '../session/transport.js';

/**
 * Frames above MAX_FRAME_BYTES get a `too_large` error from the session and
 * the connection lives on; this bound only stops a peer from making the hub
 * buffer megabytes for one frame.
 */
const MAX_WS_PAYLOAD_BYTES = 16 * MAX_FRAME_BYTES;
/** A y-websocket message holds one edit and a few bytes of framing. */
const MAX_DOC_PAYLOAD_BYTES = DOC_EDIT_MAX_BYTES + 64;

/** Who the app let through for an upgrade request, and to what (a session, or a document over y-websocket), until the upgrade takes it. */
type Approval = { user: User; expiresAt: number | undefined } & ({ request: StreamRequest; doc?: undefined } | { doc: { name: string; canWrite: boolean } });
type Approvals = WeakMap<IncomingMessage, Approval>;

/**
 * WebSocket upgrades, decided by the Hono app and carried out by the
 * WebSocket server of @hono/node-ws.
 *
 * An upgrade request to `/ws` goes through the app like any other request,
 * so the origin guard, the token check and admission are the app's (the
 * `/ws` route below records who it let through). The socket then goes
 * straight to the WebSocket server and the session, and nothing of the
 * request's Hono context outlives the upgrade. @hono/node-ws's
 * `upgradeWebSocket` helper would keep that whole context (request, headers,
 * IncomingMessage, context methods) alive as long as the socket: measured
 * with heap snapshots at 5.9 of the 11.3 KB a connection held, so the hub
 * takes only its server. For the same reason each socket's listeners are
 * functions shared by all sockets, reading the session from the socket.
 */
export class WsUpgrades {
  private readonly approvals: Approvals = new WeakMap();
  private readonly wss: WebSocketServer;
  /** y-websocket connections: their messages may be whole documents, so they have a limit of their own. */
  private readonly docWss = new WebSocketServer({ noServer: true, maxPayload: MAX_DOC_PAYLOAD_BYTES, perMessageDeflate: false, clientTracking: false, WebSocket: HubSocket });
  private readonly onClose: (this: WebSocket) => void;

  constructor(
    app: Hono<AuthEnv>,
    private readonly sessions: SessionTable,
    private readonly heartbeat: WsHeartbeat,
    private readonly limits: StreamLimits,
    private readonly yjs: YjsDocs,
  ) {
    this.wss = createNodeWebSocket({ app }).wss;
    // Built with ws's defaults and no way to pass others: its 100 MiB frame limit, and a Set of
    // every client with a close listener each, which nothing here reads (sessions are the hub's
    // list). Compression stays off (ws's default), which writing prebuilt frames relies on.
    Object.assign(this.wss.options, { maxPayload: MAX_WS_PAYLOAD_BYTES, perMessageDeflate: false, WebSocket: HubSocket });
    (this.wss as { clients: Set<unknown> | undefined }).clients = undefined;
    this.onClose = function (this: WebSocket) {
      const ws = this as HubSocket;
      heartbeat.remove(ws);
      if (ws.session) sessions.close(ws.session);
    };
  }

  /**
   * `GET /ws` in the app: refuses what admission refuses and malformed `?ch=` or `?cursor=`, and
   * approves the upgrade for the rest, with the channels the session subscribes to as it opens.
   */
  route(): MiddlewareHandler<AuthEnv> {
    return async (c) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        return errorResponse(c, { code: 'bad_request', message: 'GET /ws needs a WebSocket upgrade' });
      }
      const request = readStreamRequest(c, this.limits.maxChannels);
      if (!request.ok) return errorResponse(c, request.error);
      const user = c.get('user');
      const refused = this.sessions.admit(user);
      if (refused) return errorResponse(c, refused);
      this.approvals.set(c.env.incoming, { user, expiresAt: c.get('expiresAt'), request: request.value });
      return c.body(null, 200);
    };
  }

  /**
   * `GET /yjs/<name>` in the app: a y-websocket provider's connection to the
   * document `doc:<name>`, for whoever may read it; who may also write is
   * decided here, from the channel table.
   */
  yjsRoute(): MiddlewareHandler<AuthEnv> {
    return async (c) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        return errorResponse(c, { code: 'bad_request', message: 'GET /yjs/<document> needs a WebSocket upgrade (a y-websocket provider)' });
      }
      const ch = parseChannel(`doc:${c.req.param('name') ?? ''}`);
      if (!ch.ok) return errorResponse(c, ch.error);
      const user = c.get('user');
      const readable = canSubscribe(user, ch.value);
      if (!readable.ok) return errorResponse(c, readable.error);
      const refused = this.yjs.admit(user);
      if (refused) return errorResponse(c, refused);
      this.approvals.set(c.env.incoming, { user, expiresAt: c.get('expiresAt'), doc: { name: ch.value.name, canWrite: canWriteDoc(user).ok } });
      return c.body(null, 200);
    };
  }

  /** Takes the server's upgrade requests: asks the app, then upgrades or answers with the app's refusal. */
  attach(server: Server, app: Hono<AuthEnv>): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Node's HTTP server stops handling the socket's errors once it emits the upgrade, and ws starts
      // only in handleUpgrade: a client that resets while the app decides would crash the process.
      socket.on('error', () => socket.destroy());
      void this.upgrade(app, req, socket, head).catch(() => socket.destroy());
    });
  }

  close(): void {
    this.wss.close();
    this.docWss.close();
  }

  private upgradeToDoc(req: IncomingMessage, socket: Duplex, head: Buffer, user: User, doc: { name: string; canWrite: boolean }, expiresAt: number | undefined): void {
    this.docWss.handleUpgrade(req, socket, head, (ws) => {
      this.heartbeat.add(ws as HubSocket);
      ws.on('close', this.onClose);
      ws.on('error', ignore);
      // The token's end ends the connection: a provider reconnects with a fresh one.
      if (expiresAt !== undefined) {
        const timer = setTimeout(() => ws.close(closeCodeOf('unauthorized'), 'token expired'), Math.max(0, expiresAt - Date.now()));
        ws.on('close', () => clearTimeout(timer));
      }
      this.yjs.open(ws, doc.name, user, doc.canWrite);
    });
  }

  private async upgrade(app: Hono<AuthEnv>, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (!isWsPath(req.url)) return refuse(socket, notFound(req.url));
    const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
    const res = await app.fetch(upgradeRequest(url, req), { incoming: req, outgoing: undefined as never });
    const approved = this.approvals.get(req);
    this.approvals.delete(req);
    if (!approved) return refuse(socket, res);
    if (approved.doc) return this.upgradeToDoc(req, socket, head, approved.user, approved.doc, approved.expiresAt);
    const { request } = approved;
    // The handshake's answer, the welcome and the subscriptions of ?ch= leave in one write.
    corkForTurn(socket);
    this.wss.handleUpgrade(req, socket, head, (upgraded) => {
      const ws = upgraded as HubSocket;
      this.heartbeat.add(ws);
      const { channels, cursor, presenceDiff } = request;
      const session = this.sessions.open(approved.user, () => new WsTransport(ws, this.limits.maxBufferedBytes), { expiresAt: approved.expiresAt, presenceDiff });
      ws.session = session;
      ws.on('message', onMessage);
      ws.on('close', this.onClose);
      // A socket error is followed by close, where the session ends.
      ws.on('error', ignore);
      session.subscribeAll(channels, cursor);
    });
  }
}

/** `/ws`, with or without a query, and `/yjs/<document>`: the paths that take upgrades. */
function isWsPath(url: string | undefined): boolean {
  return url === WS_PATH || url?.startsWith(`${WS_PATH}?`) === true || url?.startsWith(YJS_PREFIX) === true;
}

const WS_PATH = '/ws';
const YJS_PREFIX = '/yjs/';

function notFound(url: string | undefined): Response {
  const body: HttpErrorBody = { error: { code: 'not_found', message: `no WebSocket at ${(url ?? '/').slice(0, 100)} (upgrades are taken on ${WS_PATH} and ${YJS_PREFIX}<document>)` } };
  return Response.json(body, { status: httpStatusOf('not_found') });
}

/**
 * The upgrade request as the `/ws` route and its middleware read it: URL,
 * method and headers, the headers read straight from Node's parsed request.
 * Building a fetch Request for every upgrade (undici's, with a Headers copy)
 * cost about a tenth of the hub's work per connect.
 */
function upgradeRequest(url: string, req: IncomingMessage): Request {
  const headers = {
    get(name: string): string | null {
      const value = req.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
  return { url, method: 'GET', headers } as unknown as Request;
}

// ws calls listeners with the socket as `this`; the server makes every socket a HubSocket.
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const { session } = this as HubSocket;
  if (isBinary) session?.receiveBinary();
  else session?.receive(data.toString());
}

function ignore(): void {}

/** The app's answer (a contract error body, with its status) written on the raw socket, then closed. */
async function refuse(socket: Duplex, res: Response): Promise<void> {
  const body = Buffer.from(await res.text());
  const status = res.status === 200 ? 400 : res.status;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body.toString()}`,
  );
}
