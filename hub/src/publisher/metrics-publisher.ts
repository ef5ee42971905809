import { connect, type NatsConnection } from 'nats';
import { metricsSubject, seriesKey, type Tags } from '../protocol/index.js';

export interface PublisherOptions {
  /** NATS servers, `nats://host:port`, one or a list. */
  servers: string | string[];
  /** The contract's `service` user by default. */
  user?: string;
  pass?: string;
  /** The connection's name in NATS's monitoring. */
  name?: string;
  /** How often buffered samples leave, in one socket write (default 250 ms). */
  flushMs?: number;
  /** Samples kept while NATS is unreachable; past it new ones are dropped and counted (default 100,000). */
  maxBuffered?: number;
}

export interface PublisherStats {
  /** Samples handed to NATS. */
  published: number;
  /** Samples dropped because the buffer was full while NATS was unreachable. */
  dropped: number;
  /** Samples waiting now. */
  buffered: number;
}

const DEFAULT_FLUSH_MS = 250;
const DEFAULT_MAX_BUFFERED = 100_000;

/** What waits for the next flush for one series. */
interface Pending {
  subject: string;
  /** Timings: every observation; counters: one running sum; gauges: the last value. */
  values: number[];
  kind: 'count' | 'gauge' | 'timing';
}

/**
 * Metrics from a Node service to Pulse: counters, gauges and timings with
 * tags, sent over NATS as the contract's `metrics.<series>` samples.
 *
 * Nothing is sent per call. Every `flushMs` each series that changed leaves
 * as one message: a counter as the sum of its increments since the last
 * flush (so a rollup's `sum` is the increments per second), a gauge as its
 * last value, a timing as every observation (so the rollup's quantiles are
 * the timings'). Samples carry no timestamp: each counts in the window the
 * stream stores it in, never dropped as late.
 *
 * While NATS is unreachable nothing is sent and samples wait, at most
 * `maxBuffered`: past that a new timing, or the first value of a series not
 * waiting yet, is dropped and `stats.dropped` counts it (a counter or gauge
 * already waiting still takes updates). `close()` sends what waits and
 * drains the connection.
 */
export class MetricsPublisher {
  private readonly pending = new Map<string, Pending>();
  private readonly keys = new Map<string, string>();
  private readonly encoder = new TextEncoder();
  private readonly timer: NodeJS.Timeout;
  private connected = true;
  private bufferedCount = 0;
  private readonly counts: PublisherStats = { published: 0, dropped: 0, buffered: 0 };

  private constructor(
    private readonly nc: NatsConnection,
    private readonly maxBuffered: number,
    flushMs: number,
    private readonly owned: boolean,
  ) {
    this.timer = setInterval(() => this.flush(), flushMs);
    this.timer.unref();
    void this.watch();
  }

  /** Connects as `service` (or `user`) and keeps reconnecting for as long as it runs. */
  static async connect(o: PublisherOptions): Promise<MetricsPublisher> {
    const nc = await connect({
      servers: o.servers,
      user: o.user ?? 'service',
      pass: o.pass,
      name: o.name ?? 'pulse-metrics-publisher',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    return new MetricsPublisher(nc, o.maxBuffered ?? DEFAULT_MAX_BUFFERED, o.flushMs ?? DEFAULT_FLUSH_MS, true);
  }

  /** Publishes over a connection the caller owns; `close()` then leaves it open. */
  static over(nc: NatsConnection, o: Pick<PublisherOptions, 'flushMs' | 'maxBuffered'> = {}): MetricsPublisher {
    return new MetricsPublisher(nc, o.maxBuffered ?? DEFAULT_MAX_BUFFERED, o.flushMs ?? DEFAULT_FLUSH_MS, false);
  }

  /** Adds `by` (default 1) to a counter. */
  count(name: string, by = 1, tags?: Tags): void {
    const p = this.series('count', name, tags);
    if (p.values.length === 0) this.add(p, by);
    else p.values[0]! += by;
  }

  /** Sets a gauge; only the last value before a flush is sent. */
  gauge(name: string, value: number, tags?: Tags): void {
    const p = this.series('gauge', name, tags);
    if (p.values.length === 0) this.add(p, value);
    else p.values[0] = value;
  }

  /** Records one observation (a duration, a size): every one is sent. */
  timing(name: string, value: number, tags?: Tags): void {
    this.add(this.series('timing', name, tags), value);
  }

  get stats(): PublisherStats {
    return { ...this.counts, buffered: this.bufferedCount };
  }

  /** Sends what waits now, if NATS is reachable. */
  flush(): void {
    if (!this.connected || this.nc.isClosed()) return;
    for (const [key, p] of this.pending) {
      if (p.values.length === 0) continue;
      this.nc.publish(p.subject, this.encoder.encode(JSON.stringify(p.values)));
      this.counts.published += p.values.length;
      this.bufferedCount -= p.values.length;
      this.pending.delete(key);
    }
  }

  /** Sends what waits and closes (or, for `over`, leaves) the connection. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    if (this.owned) await this.nc.drain();
    else await this.nc.flush();
  }

  private series(kind: Pending['kind'], name: string, tags: Tags | undefined): Pending {
    const id = tags ? `${name}\u0000${JSON.stringify(tags)}` : name;
    let key = this.keys.get(id);
    if (key === undefined) {
      const checked = seriesKey(name, tags);
      if (!checked.ok) throw new TypeError(checked.error.message);
      key = checked.value;
      this.keys.set(id, key);
    }
    const at = `${kind}:${key}`;
    let p = this.pending.get(at);
    if (!p) this.pending.set(at, (p = { subject: metricsSubject(key), values: [], kind }));
    return p;
  }

  private add(p: Pending, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`a metric value must be a finite number, not ${value}`);
    if (this.bufferedCount >= this.maxBuffered) {
      this.counts.dropped++;
      return;
    }
    p.values.push(value);
    this.bufferedCount++;
  }

  private async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.connected = false;
      else if (s.type === 'reconnect') {
        this.connected = true;
        this.flush();
      }
    }
  }
}
