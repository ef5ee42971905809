import http from 'node:http';
import WebSocket from 'ws';
import { PRESENCE_DIFF_PARAM } from '@pulse/hub/protocol';
import { EventSource } from 'eventsource';
import { backoffDelay, PulseClient, type EventSourceLike, type WebSocketLike } from '@pulse/hub/client';

/** The kinds of client the load tool speaks: Pulse on each transport, and the two baselines. */
export const TARGETS = [
  'pulse-ws',
  'pulse-sse',
  'pulse-poll',
  'pulse-player',
  'pulse-client',
  'pulse-client-sse',
  'pulse-client-poll',
  'bare-ws',
  'bare-ws-reconnecting',
  'socketio',
] as const;
export type Target = (typeof TARGETS)[number];

export interface ClientHandle {
  close(): void;
}

export interface ClientEvents {
  /** The client is connected and subscribed: what it receives from now on counts. */
  ready(): void;
  payload(text: string): void;
  failed(reason: string): void;
  closed(): void;
  /** A client that reconnects by itself is connected and subscribed again, `outageMs` after it lost its connection where it knows. */
  resubscribed?(outageMs?: number): void;
  /** A player's input came back applied in the game's state, `ms` after it was sent. */
  echo?(ms: number): void;
}

/** Opens one client of the given kind. `url` is the server's base URL (http://host:port). */
export function openClient(target: Target, url: string, ch: string, on: ClientEvents): ClientHandle {
  switch (target) {
    case 'pulse-ws':
      return pulseWs(url, ch, on);
    case 'pulse-sse':
      return pulseSse(url, ch, on);
    case 'pulse-poll':
      return pulsePoll(url, ch, on);
    case 'pulse-player':
      return pulsePlayer(url, ch, on);
    case 'pulse-client':
      return pulseClient(url, ch, on, 'ws');
    case 'pulse-client-sse':
      return pulseClient(url, ch, on, 'sse');
    case 'pulse-client-poll':
      return pulseClient(url, ch, on, 'poll');
    case 'bare-ws':
      return bareWs(url, on);
    case 'bare-ws-reconnecting':
      return reconnectingBareWs(url, on);
    case 'socketio':
      return socketIo(url, on);
  }
}

/** Pulse clients here take presence as the client library does: one state frame, then diffs. */
const DIFF = `${PRESENCE_DIFF_PARAM.name}=${PRESENCE_DIFF_PARAM.value}`;

function pulseWs(url: string, ch: string, on: ClientEvents): ClientHandle {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?${DIFF}&ch=${encodeURIComponent(ch)}`, { perMessageDeflate: false });
  let ready = false;
  ws.on('message', (data) => {
    const text = data.toString();
    if (ready) return on.payload(text);
    if (text.startsWith('{"type":"subscribed"')) {
      ready = true;
      on.ready();
    }
  });
  ws.on('error', (e) => on.failed(e.message));
  ws.on('close', () => on.closed());
  return { close: () => ws.terminate() };
}

/** The client library on one transport, reconnecting and resuming by itself as an application's would. */
function pulseClient(url: string, ch: string, on: ClientEvents, transport: 'ws' | 'sse' | 'poll'): ClientHandle {
  const client = new PulseClient({
    url,
    transports: [transport],
    webSocket: (u) => new WebSocket(u, { perMessageDeflate: false }) as unknown as WebSocketLike,
    eventSource: (u) => new EventSource(u) as unknown as EventSourceLike,
  });
  let subscribed = false;
  let downSince: number | undefined;
  client.onStatus((s) => {
    if (s.state !== 'open' && subscribed) downSince ??= Date.now();
  });
  client.subscribe(ch, (f) => on.payload(JSON.stringify(f.data)), {
    onSubscribed: () => {
      if (subscribed) {
        on.resubscribed?.(downSince === undefined ? undefined : Date.now() - downSince);
        downSince = undefined;
        return;
      }
      subscribed = true;
      on.ready();
    },
  });
  return { close: () => client.close() };
}

/**
 * A bare `ws` client that reconnects when its server goes away, after the
 * client library's own backoff: the baseline of a reconnect storm.
 */
function reconnectingBareWs(url: string, on: ClientEvents): ClientHandle {
  let stopped = false;
  let failures = 0;
  let ws: WebSocket | undefined;
  let opened = false;
  let timer: NodeJS.Timeout | undefined;
  const open = () => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), { perMessageDeflate: false });
    ws = socket;
    socket.on('open', () => {
      failures = 0;
      if (opened) on.resubscribed?.();
      else {
        opened = true;
        on.ready();
      }
    });
    socket.on('message', (data) => on.payload(data.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!stopped) timer = setTimeout(open, backoffDelay(failures++));
    });
  };
  open();
  return {
    close: () => {
      stopped = true;
      clearTimeout(timer);
      ws?.terminate();
    },
  };
}

function bareWs(url: string, on: ClientEvents): ClientHandle {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), { perMessageDeflate: false });
  ws.on('open', () => on.ready());
  ws.on('message', (data) => on.payload(data.toString()));
  ws.on('error', (e) => on.failed(e.message));
  ws.on('close', () => on.closed());
  return { close: () => ws.terminate() };
}

/**
 * A Socket.IO client speaking the protocol on a plain `ws` socket (Engine.IO
 * v4 over WebSocket: open `0`, namespace connect `40`, ping `2` / pong `3`,
 * events `42[...]`), so that every server is measured with the same client
 * code and the client library's own decoding cost does not count against the
 * server. socket.io-client itself is checked against the same server in the
 * load tool's tests.
 */
function socketIo(url: string, on: ClientEvents): ClientHandle {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
  let ready = false;
  ws.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('42')) {
      if (ready) on.payload(text);
    } else if (text === '2') ws.send('3');
    else if (text.startsWith('0')) ws.send('40');
    else if (text.startsWith('40') && !ready) {
      ready = true;
      on.ready();
    }
  });
  ws.on('error', (e) => on.failed(e.message));
  ws.on('close', () => on.closed());
  return { close: () => ws.terminate() };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function pulseSse(url: string, ch: string, on: ClientEvents): ClientHandle {
  let ready = false;
  let rest = '';
  const req = http.get(`${url}/api/sse?${DIFF}&ch=${encodeURIComponent(ch)}`, { agent: false }, (res) => {
    if (res.statusCode !== 200) {
      on.failed(`SSE answered ${res.statusCode}`);
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const events = (rest + chunk).split('\n\n');
      rest = events.pop()!;
      for (const e of events) {
        if (ready) {
          if (e.startsWith('event: message')) on.payload(e);
        } else if (e.startsWith('event: subscribed')) {
          ready = true;
          on.ready();
        }
      }
    });
    res.on('close', () => on.closed());
  });
  req.on('error', (e) => on.failed(e.message));
  return { close: () => req.destroy() };
}

function pulsePoll(url: string, ch: string, on: ClientEvents): ClientHandle {
  let stopped = false;
  let ready = false;
  let session: string | undefined;
  let cursor: string | undefined;
  const loop = async () => {
    while (!stopped) {
      const q = new URLSearchParams({ ch, [PRESENCE_DIFF_PARAM.name]: PRESENCE_DIFF_PARAM.value });
      if (session) q.set('session', session);
      if (cursor) q.set('cursor', cursor);
      const body = await new Promise<string>((resolve, reject) => {
        http
          .get(`${url}/api/poll?${q}`, { agent }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`poll answered ${res.statusCode}`))));
          })
          .on('error', reject);
      });
      const answer = JSON.parse(body) as { session: string; cursor: string; frames: Array<{ type: string }> };
      session = answer.session;
      cursor = answer.cursor;
      for (const f of answer.frames) {
        if (f.type === 'subscribed' && !ready) {
          ready = true;
          on.ready();
        } else if (f.type === 'message' && ready) on.payload(JSON.stringify(f));
      }
    }
  };
  loop().then(
    () => on.closed(),
    (e: unknown) => {
      if (!stopped) on.failed(e instanceof Error ? e.message : String(e));
      on.closed();
    },
  );
  return {
    close: () => {
      stopped = true;
    },
  };
}

/** Players send an input this often (docs/protocol.md's game loop rate). */
export const INPUT_HZ = 20;

/**
 * A player: signs in with a demo token (POST /api/login), joins the room and
 * sends `{"kind":"input","input":{"dx","dy","seq","n","t"}}` at INPUT_HZ: the
 * load tool checks `n` per player for losses and `t` for the latency to the
 * game server, and the game's state echoes `seq` once it applied the step.
 */
function pulsePlayer(url: string, ch: string, on: ClientEvents): ClientHandle {
  let ws: WebSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'load player', role: 'player' }) })
    .then(async (res) => {
      if (!res.ok) throw new Error(`login answered ${res.status}`);
      const { token, user } = (await res.json()) as { token: string; user: { id: string } };
      if (stopped) return;
      ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${token}`, { perMessageDeflate: false });
      let n = 0;
      /** When each input not yet seen applied was sent, by seq. */
      const sent = new Map<number, number>();
      ws.on('message', (data) => {
        const text = data.toString();
        if (text.startsWith('{"type":"welcome"')) ws!.send(JSON.stringify({ type: 'subscribe', ch }));
        else if (text.startsWith('{"type":"subscribed"') && !timer) {
          on.ready();
          timer = setInterval(() => {
            const seq = ++n;
            const t = performance.timeOrigin + performance.now();
            sent.set(seq, t);
            if (sent.size > 200) sent.delete(sent.keys().next().value!);
            // A step the game applies (dx, dy, seq), with the index and time the load tool's own counting reads.
            ws!.send(`{"type":"publish","ch":${JSON.stringify(ch)},"data":{"kind":"input","input":{"dx":${n % 40 < 20 ? 1 : -1},"dy":0,"seq":${seq},"n":${seq - 1},"t":${t}}}}`);
          }, 1000 / INPUT_HZ);
        } else if (on.echo && text.includes(user.id)) {
          const echoed = echoedSeq(text, user.id);
          const at = echoed === undefined ? undefined : sent.get(echoed);
          if (at === undefined) return;
          on.echo(performance.timeOrigin + performance.now() - at);
          for (const seq of sent.keys()) if (seq <= echoed!) sent.delete(seq);
        }
      });
      ws.on('error', (e) => on.failed(e.message));
      ws.on('close', () => {
        clearInterval(timer);
        on.closed();
      });
    })
    .catch((e: unknown) => on.failed(e instanceof Error ? e.message : String(e)));
  return {
    close: () => {
      stopped = true;
      clearInterval(timer);
      ws?.terminate();
    },
  };
}

/** The seq the game says it applied last for `player`, from a room state or patch message. */
function echoedSeq(text: string, player: string): number | undefined {
  const frame = JSON.parse(text) as { type?: string; data?: { state?: { players?: Record<string, { seq?: number }> }; patch?: { players?: Record<string, { seq?: number } | null> } } };
  if (frame.type !== 'message') return undefined;
  const seq = (frame.data?.state ?? frame.data?.patch)?.players?.[player]?.seq;
  return typeof seq === 'number' ? seq : undefined;
}
