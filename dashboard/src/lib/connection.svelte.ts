import { getContext, setContext } from 'svelte';
import { PulseClient, type ClientStatus } from '@pulse/hub/client';

/** The page's one connection to the hub, with its status as reactive state. */
export class Connection {
  readonly client: PulseClient;
  status = $state<ClientStatus>({ state: 'connecting', transport: undefined, user: undefined });

  constructor() {
    this.client = new PulseClient();
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
