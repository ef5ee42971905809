import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { RoomStateLimits } from './rooms/room-states.js';
import type { RollupWindow } from './protocol/index.js';

/** The project's root folder, where nats.conf and dashboard/ live. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Config {
  port: number;
  host: string;
  /** Unset: the hub runs its own nats-server. */
  natsUrl: string | undefined;
  natsPort: number;
  natsStoreDir: string;
  natsPasswords: { hub: string; service: string; game: string; observer: string };
  jwtSecret: string;
  /** True when HUB_JWT_SECRET was unset and a random one was made. */
  jwtSecretGenerated: boolean;
  allowAnonymous: boolean;
  /** `POST /api/ingest` without a service or admin token. */
  anonymousIngest: boolean;
  /** Balancers whose `X-Forwarded-For` names the client (see clientAddress). */
  trustedProxies: ReadonlySet<string>;
  /** Whether everyone may watch `ops:hubs`, or admins only. */
  opsPublic: boolean;
  /** This hub among the others, in its figures (`ops:hubs`). */
  name: string;
  demo: boolean;
  dashboardDir: string;
  /** Rollup history per window length: HUB_ROLLUPS_MAX_AGE_MIN, HUB_ROLLUPS_10S_MAX_AGE_H, HUB_ROLLUPS_1M_MAX_AGE_D. */
  rollupsMaxAgeMinutes: Record<RollupWindow, number>;
  roomsMaxAgeMinutes: number;
  /** Notifications kept per person (at least 1,000) and days (at least 30). */
  inbox: { perUser: number; maxAgeDays: number };
  /**
   * How long a stopping hub fails its health check, refusing new sessions but serving its own,
   * before it tells them to move: long enough for a balancer to stop sending it requests.
   */
  drainMs: number;
  /** Copies JetStream keeps of every Pulse stream and KV bucket: 3 in a cluster of three NATS nodes. */
  jsReplicas: number;
  /** Room states kept in memory for this hub's subscribers (see RoomStates). */
  roomStates: RoomStateLimits;
  /** Processes serving one port (node:cluster), NATS their only link; and which one this is. */
  workers: number;
  workerIndex: number;
  /** How long a user stays present after their last session ends, so a reconnect does not flap. */
  presenceGraceMs: number;
  /** How long a demo token from `/api/login` lasts. */
  loginTokenTtlS: number;
  /** Past this many members a channel's subscribers get counts instead of each join and leave. */
  presenceCountAbove: number;
  /** Bytes a connection may have queued before it is closed with `overloaded`. */
  maxBufferedBytes: number;
  /** WebSocket ping interval; a peer silent for two of them is dropped. */
  wsPingMs: number;
  /** A session holding no subscription for this long is closed with `idle`. */
  idleSessionMs: number;
  /** A connection whose queued bytes have not moved for this long is closed with `overloaded`: its peer stopped reading. */
  stallMs: number;
  /** Browser origins allowed besides the hub's own; `*` allows any. */
  corsOrigins: string[];
  /** The hub's own origins, as browsers reach it (HUB_PUBLIC_URL); without them only loopback hosts are same-origin. */
  publicOrigins: string[];
  limits: Limits;
}

/** Every limit a client can run into, each answered with its contract code and counted in /metrics. */
export interface Limits {
  /** Channels one session may subscribe to (`forbidden` past it). */
  subscriptionsPerSession: number;
  /** Open sessions of one signed-in user (`rate_limited` past it). */
  sessionsPerUser: number;
  /** Open sessions of this hub (503 `overloaded` past it). */
  connections: number;
  /** Open poll sessions opened from one IP address (`rate_limited` past it): they hold no socket, so nothing else bounds them. */
  pollSessionsPerAddress: number;
  /** Presence entries (a user in a channel) this hub writes; past it, new subscribers are not shown as present. */
  presenceEntries: number;
  /** Sustained client publishes per second per session, and the burst allowed above it (`rate_limited`). */
  publishPerSecond: number;
  publishBurst: number;
  /** Catch-up reads (history, room state) running at once on this hub, and for one session. */
  replaysPerHub: number;
  replaysPerSession: number;
  /** Sustained client frames of any kind per second per session (commands posted to SSE and poll sessions too), and the burst above it. */
  framePerSecond: number;
  frameBurst: number;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  readonly code = 'config';
}

export function loadConfig(env: Env = process.env): Config {
  const secret = env.HUB_JWT_SECRET;
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '127.0.0.1',
    natsUrl: env.NATS_URL || undefined,
    natsPort: int(env, 'NATS_PORT', 4222, -1, 65535),
    natsStoreDir: resolve(env.NATS_STORE_DIR || resolve(PROJECT_ROOT, '.data/nats')),
    natsPasswords: {
      hub: env.NATS_HUB_PASSWORD || 'hub',
      service: env.NATS_SERVICE_PASSWORD || 'service',
      game: env.NATS_GAME_PASSWORD || 'game',
      observer: env.NATS_OBSERVER_PASSWORD || 'observer',
    },
    jwtSecret: secret || randomBytes(32).toString('base64url'),
    jwtSecretGenerated: !secret,
    allowAnonymous: flag(env, 'HUB_ALLOW_ANONYMOUS', false),
    anonymousIngest: flag(env, 'HUB_ANONYMOUS_INGEST', false),
    trustedProxies: new Set((env.HUB_TRUSTED_PROXIES ?? '').split(',').map((a) => a.trim()).filter(Boolean)),
    opsPublic: flag(env, 'HUB_OPS_PUBLIC', false),
    // The process id tells apart hubs of one machine, the worker index the processes of one hub.
    name: `${env.HUB_NAME || `${hostname()}/${process.pid}`}${env.HUB_WORKER_INDEX ? `#${env.HUB_WORKER_INDEX}` : ''}`,
    demo: flag(env, 'HUB_DEMO', false),
    dashboardDir: resolve(env.HUB_DASHBOARD_DIR || resolve(PROJECT_ROOT, 'dashboard/build')),
    rollupsMaxAgeMinutes: {
      '1s': int(env, 'HUB_ROLLUPS_MAX_AGE_MIN', 20, 15, 7 * 24 * 60),
      '10s': 60 * int(env, 'HUB_ROLLUPS_10S_MAX_AGE_H', 6, 6, 30 * 24),
      '1m': 24 * 60 * int(env, 'HUB_ROLLUPS_1M_MAX_AGE_D', 7, 7, 366),
    },
    roomsMaxAgeMinutes: int(env, 'HUB_ROOMS_MAX_AGE_MIN', 20, 1, 7 * 24 * 60),
    inbox: {
      perUser: int(env, 'HUB_INBOX_MAX_PER_USER', 1_000, 1_000, 1_000_000),
      maxAgeDays: int(env, 'HUB_INBOX_MAX_AGE_D', 30, 30, 3_650),
    },
    roomStates: {
      idleMs: int(env, 'HUB_ROOM_STATE_IDLE_MS', 30_000, 100, 24 * 60 * 60_000),
      maxRooms: int(env, 'HUB_ROOM_STATES_MAX', 10_000, 1, 10_000_000),
      maxBytes: int(env, 'HUB_ROOM_STATES_MAX_BYTES', 256 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    },
    jsReplicas: int(env, 'HUB_JS_REPLICAS', 1, 1, 5),
    drainMs: int(env, 'HUB_DRAIN_MS', 0, 0, 5_000),
    presenceGraceMs: int(env, 'HUB_PRESENCE_GRACE_MS', 5_000, 0, 10 * 60_000),
    loginTokenTtlS: int(env, 'HUB_LOGIN_TOKEN_TTL_S', 24 * 60 * 60, 10, 30 * 24 * 60 * 60),
    workers: env.HUB_WORKERS === 'auto' ? availableParallelism() : int(env, 'HUB_WORKERS', 1, 1, 256),
    workerIndex: int(env, 'HUB_WORKER_INDEX', 0, 0, 255),
    presenceCountAbove: int(env, 'HUB_PRESENCE_COUNT_ABOVE', 1_000, 1, 1_000_000),
    maxBufferedBytes: int(env, 'HUB_MAX_BUFFERED_BYTES', 4 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    wsPingMs: int(env, 'HUB_WS_PING_MS', 15_000, 100, 15_000),
    idleSessionMs: int(env, 'HUB_IDLE_SESSION_MS', 30_000, 100, 60 * 60_000),
    stallMs: int(env, 'HUB_STALL_MS', 20_000, 100, 10 * 60_000),
    corsOrigins: (env.HUB_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    publicOrigins: origins(env, 'HUB_PUBLIC_URL'),
    limits: {
      subscriptionsPerSession: int(env, 'HUB_MAX_SUBSCRIPTIONS', 200, 1, 10_000),
      sessionsPerUser: int(env, 'HUB_MAX_SESSIONS_PER_USER', 20, 1, 10_000),
      connections: int(env, 'HUB_MAX_CONNECTIONS', 20_000, 1, 1_000_000),
      pollSessionsPerAddress: int(env, 'HUB_MAX_POLL_SESSIONS_PER_IP', 100, 1, 1_000_000),
      presenceEntries: int(env, 'HUB_MAX_PRESENCE_ENTRIES', 100_000, 1, 10_000_000),
      publishPerSecond: int(env, 'HUB_PUBLISH_RATE', 30, 1, 100_000),
      publishBurst: int(env, 'HUB_PUBLISH_BURST', 60, 1, 100_000),
      replaysPerHub: int(env, 'HUB_REPLAYS_PER_HUB', 16, 1, 10_000),
      replaysPerSession: int(env, 'HUB_REPLAYS_PER_SESSION', 2, 1, 1_000),
      // The burst lets a reconnecting client resubscribe every channel it may hold at once.
      framePerSecond: int(env, 'HUB_FRAME_RATE', 50, 1, 100_000),
      frameBurst: int(env, 'HUB_FRAME_BURST', 300, 1, 100_000),
    },
  };
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}=${raw} must be an integer from ${min} to ${max}`);
  return n;
}

/** A comma-separated list of http(s) URLs, each reduced to its origin. */
function origins(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => {
      try {
        const url = new URL(u);
        if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
      } catch {
        // Reported below.
      }
      throw new ConfigError(`${name}: ${u} is not an http(s) URL`);
    });
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new ConfigError(`${name}=${raw} must be 1 or 0`);
}
