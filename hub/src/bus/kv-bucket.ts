import type { JetStreamClient, KV, KvOptions } from 'nats';

const ATTEMPTS = 5;
const RETRY_AFTER_MS = 100;

/**
 * Opens a KV bucket, creating it when it is missing. nats.js asks whether
 * the bucket's stream exists and creates it when it does not: two hubs that
 * start together both ask, both create, and the server refuses the second
 * ("subjects overlap with an existing stream"). That loser finds the bucket
 * made when it asks again.
 */
export async function openBucket(js: JetStreamClient, name: string, opts: Partial<KvOptions>): Promise<KV> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await js.views.kv(name, opts);
    } catch (err) {
      if (attempt === ATTEMPTS || !isCreateRace(err)) throw err;
      await new Promise((r) => setTimeout(r, RETRY_AFTER_MS * attempt));
    }
  }
}

function isCreateRace(err: unknown): boolean {
  return err instanceof Error && /subjects overlap|already in use/i.test(err.message);
}
