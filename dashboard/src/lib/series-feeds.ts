import type { PulseClient } from '@pulse/hub/client';
import { WINDOW_KINDS, WINDOW_MS, mergeRollups, resolutionFor, type MessageFrame, type Rollup, type RollupWindow } from '@pulse/hub/protocol';
import { rollupRange } from './api';

/**
 * A series seen over a span at the resolution that fits it: its points and
 * what is still to come. Panels with the same series and span share one.
 */
export class SeriesView {
  points: Rollup[] = [];
  /** Rollups taken, history included: a figure for tests and the curious. */
  taken = 0;
  error: string | undefined;
  loaded = false;
  /** The newest message in `points`: live messages up to it are in the history already. */
  private seq = 0;
  /** Live messages that arrived while the history was read. */
  private early: Array<[number, Rollup]> = [];
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly series: string,
    readonly spanMs: number,
    readonly window: RollupWindow,
    readonly step: number | undefined,
  ) {}

  get resolutionMs(): number {
    return this.step ?? WINDOW_MS[this.window];
  }

  listen(changed: () => void): () => void {
    this.listeners.add(changed);
    return () => this.listeners.delete(changed);
  }

  async load(): Promise<void> {
    const now = Date.now();
    try {
      const { rollups, seq } = await rollupRange(this.series, this.window, now - this.spanMs, now + WINDOW_MS[this.window], this.step);
      this.points = rollups;
      this.taken += rollups.length;
      this.seq = seq;
      this.error = undefined;
    } catch (e) {
      // Live points still come; the chart starts from them.
      this.error = e instanceof Error ? e.message : String(e);
    }
    this.loaded = true;
    for (const [seq, r] of this.early.splice(0)) this.take(seq, r);
    this.changed();
  }

  /** A live rollup of the view's window length. */
  take(seq: number, r: Rollup): void {
    if (!this.loaded) {
      this.early.push([seq, r]);
      return;
    }
    if (seq <= this.seq) return;
    this.seq = seq;
    this.taken++;
    const last = this.points.at(-1);
    if (this.step === undefined) this.points.push(r);
    else {
      const t = r.t - (r.t % this.step);
      if (last && last.t === t) this.points[this.points.length - 1] = mergeRollups(t, [last, r]);
      else this.points.push(mergeRollups(t, [r]));
    }
    const horizon = r.t - this.spanMs - this.resolutionMs;
    let drop = 0;
    while (drop < this.points.length && this.points[drop]!.t < horizon) drop++;
    if (drop > 0) this.points.splice(0, drop);
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

/**
 * One subscription per rollup channel for the whole page, shared by every
 * view of it (the client library holds one handler per channel). A view's
 * history is read only once the channel is subscribed, so nothing falls
 * between the history and the live messages.
 */
class ChannelFeed {
  readonly views = new Map<string, SeriesView>();
  private lastSeq = 0;
  private subscribed: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(readonly ch: string) {}

  follow(client: PulseClient): void {
    this.unsubscribe?.();
    let ready: () => void = () => undefined;
    const subscribed = new Promise<void>((resolve) => (ready = resolve));
    this.subscribed ??= subscribed;
    this.unsubscribe = client.subscribe(
      this.ch,
      (m) => {
        const seq = m.seq ?? 0;
        this.lastSeq = Math.max(this.lastSeq, seq);
        for (const v of this.views.values()) v.take(seq, (m as MessageFrame<Rollup>).data);
      },
      // A refused channel still gets its history read: the client asks again for the live part.
      { ...(this.lastSeq > 0 && { since: this.lastSeq }), onSubscribed: () => ready(), onError: () => ready() },
    );
  }

  async add(view: SeriesView): Promise<void> {
    await this.subscribed;
    await view.load();
  }

  stop(): void {
    this.unsubscribe?.();
  }
}

/** The page's views, each held by the panels that show it. */
export class SeriesFeeds {
  private readonly feeds = new Map<string, ChannelFeed>();
  private readonly holders = new Map<SeriesView, number>();
  private client: PulseClient | undefined;

  /** Follows every channel on `client` from where it stood: joining under a name swaps the connection. */
  use(client: PulseClient): void {
    this.client = client;
    for (const feed of this.feeds.values()) feed.follow(client);
  }

  /** The view of `series` over `spanMs`, shared; the returned function lets go of it. */
  view(series: string, spanMs: number): { view: SeriesView; release: () => void } {
    const { window, step } = resolutionFor(spanMs);
    const ch = `${WINDOW_KINDS[window]}:${series}`;
    let feed = this.feeds.get(ch);
    if (!feed) {
      feed = new ChannelFeed(ch);
      this.feeds.set(ch, feed);
      if (this.client) feed.follow(this.client);
    }
    const key = `${spanMs}|${step ?? ''}`;
    let view = feed.views.get(key);
    if (!view) {
      view = new SeriesView(series, spanMs, window, step);
      feed.views.set(key, view);
      void feed.add(view);
    }
    const owned = view;
    const channel = feed;
    this.holders.set(owned, (this.holders.get(owned) ?? 0) + 1);
    return {
      view: owned,
      release: () => {
        const left = (this.holders.get(owned) ?? 1) - 1;
        if (left > 0) {
          this.holders.set(owned, left);
          return;
        }
        this.holders.delete(owned);
        channel.views.delete(key);
        if (channel.views.size === 0) {
          channel.stop();
          this.feeds.delete(ch);
        }
      },
    };
  }

  stop(): void {
    for (const feed of this.feeds.values()) feed.stop();
    this.feeds.clear();
  }
}
