/** Reconnect delays: exponential with full jitter, so a restarted hub is not hit by every client at once. */
export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  return Math.max(BACKOFF_MIN_MS, Math.floor(random() * cap));
}
