import { connect, type NatsConnection } from 'nats';
import { startHubProcess, startTestNats, TEST_PASSWORDS, type HubProcess, type TestNats } from '@pulse/hub/testing';

/** A NATS connection as the `service` user, the way a real metric publisher connects. */
export function connectService(url: string): Promise<NatsConnection> {
  return connect({ servers: url, user: 'service', pass: TEST_PASSWORDS.service, name: 'test-service' });
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value, at most `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Every stored seq of a channel after `since`, page by page through /api/history. */
export async function historySeqs(hubUrl: string, ch: string, since: number): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    const res = await fetch(`${hubUrl}/api/history?ch=${encodeURIComponent(ch)}&since=${out.at(-1) ?? since}&limit=${HISTORY_PAGE}`);
    const page = ((await res.json()) as { messages: Array<{ seq: number }> }).messages.map((m) => m.seq);
    out.push(...page);
    if (page.length < HISTORY_PAGE) return out;
  }
}

/** The most /api/history gives at once. */
const HISTORY_PAGE = 2000;

export interface System {
  nats: TestNats;
  hub: HubProcess;
  /** A connection as the `service` user, for publishing samples. */
  service: NatsConnection;
}

type Hook = (fn: () => Promise<void>) => void;

/**
 * A real nats-server, hub process and service connection for the tests of one
 * file, stopped after them even when they fail. Takes the runner's hooks so
 * vitest and Playwright files share it.
 */
export function useSystem(hooks: { beforeAll: Hook; afterAll: Hook }, hubEnv: Record<string, string> = {}): System {
  const sys = {} as System;
  hooks.beforeAll(async () => {
    sys.nats = await startTestNats();
    sys.hub = await startHubProcess(sys.nats.url, hubEnv);
    sys.service = await connectService(sys.nats.url);
  });
  hooks.afterAll(async () => {
    await sys.service?.close();
    await sys.hub?.stop();
    await sys.nats?.stop();
  });
  return sys;
}

export interface Fleet {
  nats: TestNats;
  /** Every hub started, in order. */
  readonly hubs: HubProcess[];
  /** A connection as the `service` user, for publishing samples. */
  service: NatsConnection;
  /** Starts one more hub process on the file's nats-server; every one started is stopped after the file, killed ones too. */
  startHub(env?: Record<string, string>): Promise<HubProcess>;
}

/**
 * A real nats-server and service connection for the tests of one file, with
 * hubs that come and go (started, killed, started again on the same port),
 * all stopped after the file even when it fails.
 */
export function useFleet(hooks: { beforeAll: Hook; afterAll: Hook }): Fleet {
  const hubs: HubProcess[] = [];
  const fleet = {
    hubs,
    async startHub(env: Record<string, string> = {}) {
      const hub = await startHubProcess(fleet.nats.url, env);
      hubs.push(hub);
      return hub;
    },
  } as Fleet;
  hooks.beforeAll(async () => {
    fleet.nats = await startTestNats();
    fleet.service = await connectService(fleet.nats.url);
  });
  hooks.afterAll(async () => {
    await fleet.service?.close();
    await Promise.allSettled(hubs.map((h) => h.stop()));
    await fleet.nats?.stop();
  });
  return fleet;
}
