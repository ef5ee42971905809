import { StringCodec, type NatsConnection, type Subscription } from 'nats';
import { fail, HUB_FIGURES_CHANNEL, HUB_FIGURES_EVERY_MS, HUB_SILENT_AFTER_MS, ok, type ChannelName, type HubFigures, type MessageFrame, type Result } from '../protocol/index.js';
import { HUB_FIGURES_SUBJECT } from '../bus/subjects.js';
import type { ChannelMessage } from '../channels/channel-message.js';
import type { ChannelSubscriber } from '../channels/registry.js';
import type { ChannelSource, SyncResult } from '../channels/source.js';
import type { FiguresSampler } from './figures-sampler.js';

const sc = StringCodec();

/** Hubs remembered for a newcomer's greeting; past it the longest silent is forgotten. */
const MAX_HUBS_REMEMBERED = 1_000;

/**
 * `ops:hubs`: every hub's figures, live. Each hub publishes its own once a
 * second on core NATS and relays everyone's to its local subscribers, so a
 * page connected to any hub sees them all. Like typing, nothing is stored:
 * a subscriber is greeted with the latest figures of each hub heard from
 * recently, then gets them as they come.
 */
export class OpsChannels implements ChannelSource {
  readonly tracksPresence = false;
  private readonly latest = new Map<string, { at: number; frame: string }>();
  private sub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly sampler: FiguresSampler,
    /** One serialized `message` frame without seq, for every local subscriber of the channel. */
    private readonly deliver: (ch: string, frame: string) => void,
  ) {}

  start(): void {
    this.sub = this.nc.subscribe(HUB_FIGURES_SUBJECT, {
      callback: (err, m) => {
        if (!err) this.heard(sc.decode(m.data));
      },
    });
    this.timer = setInterval(() => this.publish(), HUB_FIGURES_EVERY_MS);
    this.timer.unref();
    this.publish();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sub?.unsubscribe();
    this.sampler.stop();
  }

  async sync(ch: ChannelName, since: number | undefined): Promise<Result<SyncResult>> {
    if (ch.ch !== HUB_FIGURES_CHANNEL) return fail('not_found', `the only ops channel is ${HUB_FIGURES_CHANNEL}`);
    return ok({ seq: 0, messages: [], recovered: since !== undefined });
  }

  async history(ch: ChannelName): Promise<Result<ChannelMessage[]>> {
    if (ch.ch !== HUB_FIGURES_CHANNEL) return fail('not_found', `the only ops channel is ${HUB_FIGURES_CHANNEL}`);
    return ok([]);
  }

  greet(_ch: ChannelName, to: ChannelSubscriber): void {
    const now = Date.now();
    for (const { at, frame } of this.latest.values()) if (now - at < HUB_SILENT_AFTER_MS) to.deliverEphemeral('message', frame);
  }

  private publish(): void {
    // Sent even while nobody here watches: other hubs' subscribers do.
    if (!this.nc.isClosed()) this.nc.publish(HUB_FIGURES_SUBJECT, sc.encode(JSON.stringify(this.sampler.sample())));
  }

  private heard(text: string): void {
    const figures = readFigures(text);
    if (!figures) return;
    const at = Date.now();
    const frame = JSON.stringify({ type: 'message', ch: HUB_FIGURES_CHANNEL, ts: at, data: figures } satisfies MessageFrame<HubFigures>);
    this.latest.delete(figures.hub);
    if (this.latest.size >= MAX_HUBS_REMEMBERED) this.latest.delete(this.latest.keys().next().value!);
    this.latest.set(figures.hub, { at, frame });
    this.deliver(HUB_FIGURES_CHANNEL, frame);
  }
}

/** Figures from another hub: only the hub's own user may publish them, but a frame must never carry what is not JSON of the right shape. */
function readFigures(text: string): HubFigures | undefined {
  try {
    const v = JSON.parse(text) as Partial<HubFigures> | null;
    return v && typeof v === 'object' && typeof v.hub === 'string' && typeof v.at === 'number' ? (v as HubFigures) : undefined;
  } catch {
    return undefined;
  }
}
