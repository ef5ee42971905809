/**
 * The contract's error codes, mapped once to HTTP statuses and WebSocket close
 * codes. Errors travel as values (`PulseError`), never as thrown strings.
 */
export const ERROR_CODES = {
  bad_request: { http: 400, close: 1008 },
  unauthorized: { http: 401, close: 4401 },
  forbidden: { http: 403, close: 4403 },
  not_found: { http: 404, close: 4404 },
  too_large: { http: 413, close: 1009 },
  rate_limited: { http: 429, close: 4429 },
  overloaded: { http: 503, close: 1013 },
  idle: { http: 408, close: 4408 },
  going_away: { http: 503, close: 1001 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes that refuse for now, not for good: the same request, or the same
 * subscribe, may succeed after a backoff (history unavailable while a NATS
 * node restarts, a rate spent, a hub stopping).
 */
const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set(['overloaded', 'rate_limited', 'going_away']);

export function isTransient(code: ErrorCode): boolean {
  return TRANSIENT_CODES.has(code);
}

/**
 * An SSE or poll session that ended on this hub is answered `not_found` with
 * 410 Gone rather than 404: the client then opens a new session with its
 * cursor instead of trying the old one again.
 */
export const SESSION_ENDED_STATUS = 410;

export interface PulseError {
  code: ErrorCode;
  message: string;
}

export function httpStatusOf(code: ErrorCode): (typeof ERROR_CODES)[ErrorCode]['http'] {
  return ERROR_CODES[code].http;
}

export function closeCodeOf(code: ErrorCode): number {
  return ERROR_CODES[code].close;
}

/** The body of every HTTP error response. */
export interface HttpErrorBody {
  error: PulseError;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: PulseError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: ErrorCode, message: string): Result<T> => ({ ok: false, error: { code, message } });
