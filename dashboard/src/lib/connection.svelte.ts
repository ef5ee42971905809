import { getContext, setContext } from 'svelte';
import { PulseClient, type ClientStatus } from '@pulse/hub/client';
import type { TransportKind } from '@pulse/hub/protocol';

const TRANSPORTS: readonly TransportKind[] = ['ws', 'sse', 'poll'];

/** `?transport=sse` (or ws, poll) forces one transport, for demos and tests; otherwise the client picks. */
function forcedTransport(): TransportKind[] | undefined {
  const wanted = new URL(location.href).searchParams.get('transport');
  return TRANSPORTS.find((t) => t === wanted) ? [wanted as TransportKind] : undefined;
}

const TOKEN_KEY = 'pulse.token';

/** The signed-in token of this browser, for HTTP calls made as the person. */
export function storedToken(): string | undefined {
  return localStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** A token is renewed this far into its life, leaving the rest to retry in. */
const RENEW_AT = 0.8;
const RENEW_RETRY_MS = 10_000;

/**
 * The page's one connection to the hub, with its status as reactive state.
 * Joining under a name swaps the connection for one with the new token; the
 * token is kept in localStorage so a reload keeps the name. Before it
 * expires it is renewed and handed to the open session, so nothing
 * reconnects and open documents stay open.
 */
export class Connection {
  client = $state.raw<PulseClient>(undefined as unknown as PulseClient);
  status = $state<ClientStatus>({ state: 'connecting', transport: undefined, user: undefined });
  private renewal: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.connect(localStorage.getItem(TOKEN_KEY) ?? undefined);
  }

  /** Signs in with a demo token; rejects with the hub's message when it refuses. */
  async join(name: string, role: 'viewer' | 'player'): Promise<void> {
    this.connect(await login(name, role, undefined));
  }

  /** The same person in another role, taken by the open session: nothing reconnects, open documents stay open. */
  async changeRole(role: 'viewer' | 'player'): Promise<void> {
    const user = this.status.user;
    if (!user) throw new Error('not connected');
    const token = await login(user.name, role, storedToken());
    await this.client.authorize(token);
    this.renewBefore(token);
  }

  /** Back to an anonymous viewer. */
  leave(): void {
    localStorage.removeItem(TOKEN_KEY);
    this.connect(undefined);
  }

  close(): void {
    clearTimeout(this.renewal);
    this.client.close();
  }

  /** Renews the token at four fifths of its life, the same person in the same role. */
  private renewBefore(token: string): void {
    clearTimeout(this.renewal);
    const life = lifeOf(token);
    if (!life) return;
    const at = life.from + RENEW_AT * (life.to - life.from);
    this.renewal = setTimeout(() => void this.renew(token), Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1));
  }

  private async renew(token: string): Promise<void> {
    const user = this.status.user;
    if (storedToken() !== token || !user || (user.role !== 'viewer' && user.role !== 'player')) return;
    try {
      const next = await login(user.name, user.role, token);
      await this.client.authorize(next);
      this.renewBefore(next);
    } catch {
      // Not now (the hub restarting, a network cut): again shortly, while the token lasts.
      const life = lifeOf(token);
      if (life && Date.now() + RENEW_RETRY_MS < life.to) this.renewal = setTimeout(() => void this.renew(token), RENEW_RETRY_MS);
    }
  }

  private connect(token: string | undefined): void {
    this.client?.close();
    clearTimeout(this.renewal);
    if (token) this.renewBefore(token);
    const transports = forcedTransport();
    const client = new PulseClient({ ...(transports && { transports }), ...(token && { token }) });
    client.onStatus((s) => {
      // A stored token the hub no longer accepts (expired, secret changed): fall back to anonymous.
      if (token && s.error?.code === 'unauthorized') this.leave();
      else this.status = s;
    });
    this.client = client;
  }
}

/** When a token was issued and expires, in ms, as its payload says: only to time its renewal, never to trust it. */
function lifeOf(token: string): { from: number; to: number } | undefined {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { iat?: unknown; exp?: unknown };
    return typeof payload.iat === 'number' && typeof payload.exp === 'number' ? { from: payload.iat * 1000, to: payload.exp * 1000 } : undefined;
  } catch {
    return undefined;
  }
}

/** A demo token from the hub, kept for reloads; sent with the current one, it keeps the person's id. */
async function login(name: string, role: 'viewer' | 'player', current: string | undefined): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(current && { authorization: `Bearer ${current}` }) };
  const res = await fetch('/api/login', { method: 'POST', headers, body: JSON.stringify({ name, role }) });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: { message: string } };
  if (!res.ok || !body.token) throw new Error(body.error?.message ?? `the hub answered ${res.status}`);
  localStorage.setItem(TOKEN_KEY, body.token);
  return body.token;
}

const KEY = Symbol('connection');

export function provideConnection(): Connection {
  return setContext(KEY, new Connection());
}

export function useConnection(): Connection {
  return getContext<Connection>(KEY);
}
