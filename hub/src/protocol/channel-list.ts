import type { Rollup } from './rollup.js';
import type { Tags } from './series.js';

/** One metric series of `GET /api/channels`. */
export interface MetricListing {
  ch: string;
  series: string;
  /** The series' name and tags (`cpu.usage` and `{"host":"a"}` for `cpu.usage,host=a`). */
  name: string;
  tags: Tags;
  /** Rollups stored for it. */
  messages: number;
  /** Its newest rollup, when `last=1` asked for it. */
  last?: Rollup;
}

export interface RoomListing {
  ch: string;
  room: string;
}

/** The answer of `GET /api/channels`; `more` counts matching series past `limit`. */
export interface ChannelList {
  metrics: MetricListing[];
  rooms: RoomListing[];
  more?: number;
}

/** `GET /api/channels` lists this many series at most once it is searched (`q`, `tag`), unless `limit` says otherwise. */
export const CHANNEL_SEARCH_DEFAULT_LIMIT = 100;
export const CHANNEL_SEARCH_MAX_LIMIT = 1000;
/** `last=1` reads one rollup per listed series: at most this many. */
export const CHANNEL_LAST_MAX = 200;
