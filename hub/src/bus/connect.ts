import { connect, type NatsConnection } from 'nats';

export interface BusOptions {
  servers: string;
  user: string;
  password: string;
  name: string;
}

/** Connects with endless reconnects: the hub outlives NATS restarts and reports them on /healthz. */
export async function connectBus(opts: BusOptions): Promise<NatsConnection> {
  return connect({
    servers: opts.servers.split(',').map((s) => s.trim()).filter(Boolean),
    user: opts.user,
    pass: opts.password,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
    maxPingOut: 2,
  });
}

/** Tracks whether the connection is usable right now, for /healthz and /metrics. */
export class BusState {
  connected = true;
  reconnects = 0;
  disconnects = 0;

  constructor(nc: NatsConnection) {
    void this.watch(nc);
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.disconnects++;
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.reconnects++;
      }
    }
    this.connected = false;
  }
}
