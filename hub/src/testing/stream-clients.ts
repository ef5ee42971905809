import type { ClientFrame, ServerFrame } from '../protocol/index.js';
import { FrameQueue } from './frame-queue.js';

/** Sends client frames to an SSE or poll session and returns the HTTP status. */
async function command(base: string, session: string, body: string, auth: Record<string, string>): Promise<number> {
  const res = await fetch(`${base}/api/sessions/${encodeURIComponent(session)}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body });
  await res.arrayBuffer();
  return res.status;
}

function streamUrl(base: string, path: string, channels: readonly string[], extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const ch of channels) q.append('ch', ch);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return `${base}${path}?${q}`;
}

/** What the SSE and poll test clients share: a session id, commands over POST, queued frames. */
abstract class StreamSessionClient {
  protected readonly queue = new FrameQueue();
  protected readonly aborter = new AbortController();
  session = '';
  protected readonly auth: Record<string, string>;

  constructor(
    readonly base: string,
    token?: string,
  ) {
    this.auth = token ? { authorization: `Bearer ${token}` } : {};
  }

  get frames(): ServerFrame[] {
    return this.queue.all;
  }

  send(frame: ClientFrame | Record<string, unknown>): Promise<number> {
    return command(this.base, this.session, JSON.stringify(frame), this.auth);
  }

  sendRaw(body: string): Promise<number> {
    return command(this.base, this.session, body, this.auth);
  }

  next<F extends ServerFrame = ServerFrame>(match: (f: ServerFrame) => boolean, timeoutMs = 10_000): Promise<F> {
    return this.queue.next<F>(match, timeoutMs);
  }

  /** Drops the connection, as a network failure would. */
  cut(): void {
    this.aborter.abort();
    this.queue.end('cut');
  }

  async close(): Promise<void> {
    this.cut();
  }
}

/** A raw SSE client for tests, reading the stream with fetch as any HTTP client could. */
export class TestSseClient extends StreamSessionClient {
  readonly transport = 'sse' as const;
  /** The id of the last event: the cursor to resume from. */
  lastEventId: string | undefined;
  /** Every event as received, with its type and id. */
  readonly events: Array<{ event: string; id: string | undefined; data: string }> = [];

  static async connect(base: string, channels: readonly string[] = [], opts: { lastEventId?: string; cursorParam?: string; token?: string } = {}): Promise<TestSseClient> {
    const client = new TestSseClient(base, opts.token);
    const res = await fetch(streamUrl(base, '/api/sse', channels, opts.cursorParam ? { cursor: opts.cursorParam } : {}), {
      headers: { ...(opts.lastEventId && { 'last-event-id': opts.lastEventId }), ...client.auth },
      signal: client.aborter.signal,
    });
    if (res.status !== 200) throw Object.assign(new Error(`SSE refused with ${res.status}: ${await res.text()}`), { status: res.status });
    void client.read(res.body!);
    const welcome = await client.next<Extract<ServerFrame, { type: 'welcome' }>>((f) => f.type === 'welcome');
    client.session = welcome.session;
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) break;
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          this.parse(block);
        }
      }
      this.queue.end('stream ended');
    } catch (err) {
      this.queue.end(`stream failed: ${String(err)}`);
    }
  }

  private parse(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    if (id !== undefined) this.lastEventId = id;
    this.events.push({ event, id, data: data.join('\n') });
    this.queue.push(JSON.parse(data.join('\n')) as ServerFrame);
  }
}

/** A raw long-poll client for tests: polls in a loop until cut or closed. */
export class TestPollClient extends StreamSessionClient {
  readonly transport = 'poll' as const;
  /** The cursor of the last answer. */
  cursor: string | undefined;
  /** The HTTP status that ended the loop, if one did. */
  endStatus: number | undefined;

  static async connect(base: string, channels: readonly string[] = [], opts: { cursor?: string; token?: string } = {}): Promise<TestPollClient> {
    const client = new TestPollClient(base, opts.token);
    const res = await fetch(streamUrl(base, '/api/poll', channels, opts.cursor ? { cursor: opts.cursor } : {}), { headers: client.auth });
    if (res.status !== 200) throw Object.assign(new Error(`poll refused with ${res.status}: ${await res.text()}`), { status: res.status });
    client.take((await res.json()) as { session: string; cursor: string; frames: ServerFrame[] });
    void client.loop();
    return client;
  }

  private take(body: { session: string; cursor: string; frames: ServerFrame[] }): void {
    this.session = body.session;
    this.cursor = body.cursor;
    for (const f of body.frames) this.queue.push(f);
  }

  private async loop(): Promise<void> {
    while (!this.aborter.signal.aborted) {
      try {
        const query = new URLSearchParams({ session: this.session, ...(this.cursor && { cursor: this.cursor }) });
        const res = await fetch(`${this.base}/api/poll?${query}`, { signal: this.aborter.signal, headers: this.auth });
        if (res.status !== 200) {
          this.endStatus = res.status;
          await res.arrayBuffer();
          this.queue.end(`poll answered ${res.status}`);
          return;
        }
        this.take((await res.json()) as { session: string; cursor: string; frames: ServerFrame[] });
      } catch (err) {
        this.queue.end(`poll failed: ${String(err)}`);
        return;
      }
    }
  }
}
