import { getContext, setContext } from 'svelte';
import { PulseClient, type ClientStatus } from '@pulse/hub/client';
import type { TransportKind } from '@pulse/hub/protocol';

const TRANSPORTS: readonly TransportKind[] = ['ws', 'sse', 'poll'];

/** `?transport=sse` (or ws, poll) forces one transport, for demos and tests; otherwise the client picks. */
function forcedTransport(): TransportKind[] | undefined {
  const wanted = new URL(location.href).searchParams.get('transport');
  return TRANSPORTS.find((t) => t === wanted) ? [wanted as TransportKind] : undefined;
}

/** The page's one connection to the hub, with its status as reactive state. */
export class Connection {
  readonly client: PulseClient;
  status = $state<ClientStatus>({ state: 'connecting', transport: undefined, user: undefined });

  constructor() {
    const transports = forcedTransport();
    this.client = new PulseClient(transports ? { transports } : {});
    this.client.onStatus((s) => (this.status = s));
  }

  close(): void {
    this.client.close();
  }
}

const KEY = Symbol('connection');

export function provideConnection(): Connection {
  return setContext(KEY, new Connection());
}

export function useConnection(): Connection {
  return getContext<Connection>(KEY);
}
