import { MetricsPublisher } from '../publisher/index.js';

/**
 * A believable service publishing its metrics over NATS as the `service`
 * user, the way a real one would, through the publisher library: request
 * latency per route with a long tail and occasional spikes, request rate,
 * error rate, CPU per host, queue depth.
 */
export interface DemoFeedOptions {
  servers: string;
  password: string;
  tickMs?: number;
}

const ROUTES = ['users', 'orders', 'search', 'login'] as const;
const HOSTS = ['web1', 'web2', 'web3'] as const;
const BASE_LATENCY_MS: Record<(typeof ROUTES)[number], number> = { users: 18, orders: 35, search: 60, login: 25 };

export class DemoMetricFeed {
  private timer: NodeJS.Timeout | undefined;
  private queue = 40;
  private spikeUntil = 0;
  private readonly cpu: Record<string, number> = { web1: 35, web2: 45, web3: 25 };

  private constructor(
    private readonly metrics: MetricsPublisher,
    private readonly tickMs: number,
  ) {}

  static async start(opts: DemoFeedOptions): Promise<DemoMetricFeed> {
    const tickMs = opts.tickMs ?? 250;
    const metrics = await MetricsPublisher.connect({ servers: opts.servers.split(','), pass: opts.password, name: 'pulse-demo-feed', flushMs: tickMs });
    const feed = new DemoMetricFeed(metrics, tickMs);
    feed.timer = setInterval(() => feed.tick(), feed.tickMs);
    return feed;
  }

  private tick(): void {
    const now = Date.now();
    if (now > this.spikeUntil && Math.random() < 0.004) this.spikeUntil = now + 3000 + Math.random() * 4000;
    const spiking = now < this.spikeUntil;
    const perTick = this.tickMs / 1000;

    let requests = 0;
    let errors = 0;
    for (const route of ROUTES) {
      const n = Math.round((20 + Math.random() * 10) * (route === 'search' ? 2 : 1) * perTick * 4);
      requests += n;
      for (let i = 0; i < n; i++) {
        const ms = round(latency(BASE_LATENCY_MS[route], spiking));
        if (ms > 400 || Math.random() < 0.004) errors++;
        this.metrics.timing('http.latency_ms', ms, { route });
      }
    }
    this.metrics.gauge('http.requests_per_s', round(requests / perTick));
    this.metrics.gauge('http.error_rate_pct', round((100 * errors) / Math.max(1, requests)));

    for (const host of HOSTS) {
      const target = spiking ? 85 : host === 'web2' ? 50 : 35;
      this.cpu[host] = clamp(this.cpu[host]! + (target - this.cpu[host]!) * 0.1 + gaussian() * 3, 1, 100);
      this.metrics.gauge('cpu.usage_pct', round(this.cpu[host]!), { host });
    }

    this.queue = Math.max(0, this.queue + (spiking ? 8 : -2) + gaussian() * 4);
    this.metrics.gauge('queue.depth', Math.round(this.queue), { queue: 'emails' });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.metrics.close().catch(() => undefined);
  }
}

/** Log-normal around the route's base, with a heavy tail and spikes. */
function latency(base: number, spiking: boolean): number {
  const body = base * Math.exp(0.35 * gaussian());
  const tail = Math.random() < 0.02 ? base * (3 + Math.random() * 12) : 0;
  return body + tail + (spiking ? base * (2 + Math.random() * 4) : 0);
}

function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
