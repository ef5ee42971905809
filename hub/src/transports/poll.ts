import type { PulseError, ServerFrame } from '../protocol/index.js';
import { frameBytes, type OutgoingFrame, type SessionHandle, type Transport } from '../session/transport.js';

/** A poll waits at most this long for frames, then answers with none, unless it asks for less (`wait`). */
export const POLL_WAIT_MS = 25_000;
/** The shortest `wait` a poll may ask for: shorter would only make idle clients spin. */
export const POLL_MIN_WAIT_MS = 1_000;
/**
 * The most frame bytes one answer carries (one frame more when a single frame
 * is larger). The rest waits for the next poll, which is answered at once. It
 * keeps an answer well inside NATS's message limit when another hub process
 * forwards the poll (see SessionForwarding), and a slow client's answers short.
 */
export const POLL_ANSWER_MAX_BYTES = 512 * 1024;
/** A poll session nobody polls for this long ends. */
export const POLL_IDLE_MS = 30_000;

export interface PollAnswer {
  /** `{"session","cursor","frames":[...]}`, built from the queued frames without re-encoding them. */
  body: string;
}

/** Frames handed to one answer, kept until a later poll shows they arrived. */
interface Sent {
  answer: number;
  frames: Array<Buffer | string>;
  bytes: number;
}

/**
 * Long-poll: frames queue between polls (bounded by bytes), and each poll
 * takes all of them at once, with the cursor that follows them.
 *
 * An answer can be lost after the hub wrote it (a proxy timeout, a dropped
 * connection), so nothing is forgotten when it is sent. Each answer's cursor
 * carries its number; the next poll's cursor acknowledges that answer and
 * every one before it, and answers after it, which the client never saw,
 * are sent again first. A poll without a cursor acknowledges everything sent.
 * Unacknowledged frames count against the same byte bound as queued ones.
 */
export class PollTransport implements Transport {
  readonly kind = 'poll' as const;
  private queue: Array<Buffer | string> = [];
  private waitingBytes = 0;
  private sent: Sent[] = [];
  private sentBytes = 0;
  private answers = 0;
  private waiter: ((answer: PollAnswer) => void) | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private ended = false;
  private flushScheduled = false;

  constructor(
    private readonly session: SessionHandle,
    readonly maxBufferedBytes: number,
    /** Called once when the session is over: closed and its last frames taken, or idle too long. */
    private readonly onEnd: () => void,
  ) {
    this.armIdle();
  }

  send(_type: ServerFrame['type'], outgoing: OutgoingFrame): boolean {
    if (this.ended) return true;
    const frame = frameBytes(outgoing);
    this.queue.push(frame);
    this.waitingBytes += frame.length;
    this.scheduleFlush();
    return this.queuedBytes() <= this.maxBufferedBytes;
  }

  queuedBytes(): number {
    return this.waitingBytes + this.sentBytes;
  }

  close(_error?: PulseError): void {
    this.closing = true;
    this.scheduleFlush();
  }

  /** Whether `answer` (from a poll's cursor) is one this session has given; a later one cannot be acknowledged. */
  knows(answer: number): boolean {
    return answer <= this.answers;
  }

  /**
   * One poll: answered at once when frames wait, else when some arrive or
   * after `waitMs`. A newer poll answers an older one still waiting.
   * `acknowledged` is the number of the last answer the client received,
   * undefined when its poll carried no cursor.
   */
  poll(signal: AbortSignal, acknowledged?: number, waitMs = POLL_WAIT_MS): Promise<PollAnswer> {
    this.answer();
    this.acknowledge(acknowledged ?? this.answers);
    clearTimeout(this.idleTimer);
    return new Promise((resolve) => {
      this.waiter = resolve;
      if (this.queue.length > 0 || this.closing) {
        this.answer();
        return;
      }
      this.waitTimer = setTimeout(() => this.answer(), waitMs);
      // A client that went away leaves its frames queued for its next poll.
      signal.addEventListener('abort', () => {
        if (this.waiter !== resolve) return;
        this.waiter = undefined;
        clearTimeout(this.waitTimer);
        this.armIdle();
      });
    });
  }

  /** Ends the session now, as when it idled out. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.waitTimer);
    this.onEnd();
  }

  /** Forgets what arrived; what was sent after it goes back to the head of the queue, in order. */
  private acknowledge(answer: number): void {
    const lost = this.sent.filter((s) => s.answer > answer);
    this.sent = [];
    this.sentBytes = 0;
    if (lost.length === 0) return;
    this.queue = [...lost.flatMap((s) => s.frames), ...this.queue];
    this.waitingBytes += lost.reduce((n, s) => n + s.bytes, 0);
  }

  private scheduleFlush(): void {
    if (!this.waiter || this.flushScheduled) return;
    // Frames fanned out in the same turn of the event loop leave in one answer.
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.answer();
    });
  }

  private answer(): void {
    const resolve = this.waiter;
    if (!resolve) return;
    this.waiter = undefined;
    clearTimeout(this.waitTimer);
    const answer = ++this.answers;
    const frames = this.takeFrames();
    if (frames.length > 0) {
      const bytes = frames.reduce((n, f) => n + f.length, 0);
      this.sent.push({ answer, frames, bytes });
      this.sentBytes += bytes;
    }
    const body = `{"session":${JSON.stringify(this.session.id)},"cursor":${JSON.stringify(this.session.cursor(answer))},"frames":[${frames.join(',')}]}`;
    resolve({ body });
    if (this.closing && this.queue.length === 0) this.end();
    else this.armIdle();
  }

  /** The queue's head, up to POLL_ANSWER_MAX_BYTES. */
  private takeFrames(): Array<Buffer | string> {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.length <= POLL_ANSWER_MAX_BYTES)) bytes += this.queue[n++]!.length;
    const frames = this.queue.splice(0, n);
    this.waitingBytes -= bytes;
    return frames;
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.end(), POLL_IDLE_MS);
  }
}
