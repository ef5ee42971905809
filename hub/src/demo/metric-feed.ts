import { connect, type NatsConnection } from 'nats';
import { metricsSubject } from '../protocol/index.js';

/**
 * A believable service publishing its metrics over NATS as the `service`
 * user, the way a real one would: request latency per route with a long tail
 * and occasional spikes, request rate, error rate, CPU per host, queue depth.
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
  private readonly encoder = new TextEncoder();
  private queue = 40;
  private spikeUntil = 0;
  private readonly cpu: Record<string, number> = { web1: 35, web2: 45, web3: 25 };

  private constructor(
    private readonly nc: NatsConnection,
    private readonly tickMs: number,
  ) {}

  static async start(opts: DemoFeedOptions): Promise<DemoMetricFeed> {
    const nc = await connect({
      servers: opts.servers.split(','),
      user: 'service',
      pass: opts.password,
      name: 'pulse-demo-feed',
      maxReconnectAttempts: -1,
    });
    const feed = new DemoMetricFeed(nc, opts.tickMs ?? 250);
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
      const samples: number[] = [];
      for (let i = 0; i < n; i++) samples.push(round(latency(BASE_LATENCY_MS[route], spiking)));
      errors += samples.filter((ms) => ms > 400 || Math.random() < 0.004).length;
      this.send(`http.latency_ms,route=${route}`, samples);
    }
    const rate = requests / perTick;
    this.send('http.requests_per_s', [round(rate)]);
    this.send('http.error_rate_pct', [round((100 * errors) / Math.max(1, requests))]);

    for (const host of HOSTS) {
      const target = spiking ? 85 : host === 'web2' ? 50 : 35;
      this.cpu[host] = clamp(this.cpu[host]! + (target - this.cpu[host]!) * 0.1 + gaussian() * 3, 1, 100);
      this.send(`cpu.usage_pct,host=${host}`, [round(this.cpu[host]!)]);
    }

    this.queue = Math.max(0, this.queue + (spiking ? 8 : -2) + gaussian() * 4);
    this.send('queue.depth,queue=emails', [Math.round(this.queue)]);
  }

  private send(series: string, values: number[]): void {
    if (values.length === 0) return;
    this.nc.publish(metricsSubject(series), this.encoder.encode(JSON.stringify(values)));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.nc.drain().catch(() => undefined);
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
