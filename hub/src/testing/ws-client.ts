import WebSocket from 'ws';
import type { ClientFrame, ServerFrame } from '../protocol/index.js';
import { FrameQueue } from './frame-queue.js';

/** A raw WebSocket client for tests. */
export class TestWsClient {
  readonly transport = 'ws' as const;
  private readonly queue = new FrameQueue();
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.queue.push(JSON.parse(data.toString()) as ServerFrame));
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.queue.end(`closed ${code} ${reason.toString()}`);
    });
  }

  /** Opens and waits for `welcome`, the contract's "ready" signal. */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<TestWsClient> {
    const ws = new WebSocket(url, { headers });
    const client = new TestWsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    });
    await client.next((f) => f.type === 'welcome');
    return client;
  }

  get frames(): ServerFrame[] {
    return this.queue.all;
  }

  send(frame: ClientFrame | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  next<F extends ServerFrame = ServerFrame>(match: (f: ServerFrame) => boolean, timeoutMs = 10_000): Promise<F> {
    return this.queue.next<F>(match, timeoutMs);
  }

  /** Drops the connection without a close handshake, as a network failure would. */
  cut(): void {
    this.ws.terminate();
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
