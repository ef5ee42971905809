import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/**
 * Cryptographically random bytes as a string, drawn from a pool that
 * OpenSSL fills 4 KiB at a time, as Node's own randomUUID does: a call into
 * OpenSSL for each session id and each anonymous viewer's tag cost about a
 * twentieth of the hub's work per connect. Each byte is handed out once.
 */
export function randomString(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (bytes > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes at once`);
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const out = pool.toString(encoding, used, used + bytes);
  used += bytes;
  return out;
}
