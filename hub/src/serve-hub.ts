import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { NatsConnection } from 'nats';
import { createApp } from './app.js';
import { connectBus } from './bus/connect.js';
import type { Config } from './config.js';
import { Hub } from './hub.js';

/** How long a client may take to send a request's headers, and the whole request with its body. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

/** Steps that undo a start, run in reverse order on shutdown. */
export type Stops = Array<() => Promise<unknown>>;

/**
 * One hub process: the NATS connection, the hub, and its HTTP server on the
 * configured port (shared by every worker of a cluster). Resolves with the
 * port it listens on.
 */
export async function serveHub(config: Config, servers: string, stops: Stops): Promise<number> {
  const nc: NatsConnection = await connectBus({ servers, user: 'hub', password: config.natsPasswords.hub, name: `pulse-hub-${config.workerIndex}` });
  stops.push(() => nc.drain());
  let server: ReturnType<typeof serve> | undefined;
  // Steps run in reverse: this one after the hub's stop has told every session goodbye, for the HTTP
  // connections left (idle keep-alives, requests on their way in).
  stops.push(async () => {
    if (server && 'closeAllConnections' in server) server.closeAllConnections();
  });
  const hub = await Hub.start(nc, config);
  stops.push(() => hub.stop());

  const { app, attach, stop: stopApp } = createApp(hub);
  stops.push(async () => stopApp());
  const listening = await new Promise<ReturnType<typeof serve>>((ready, fail) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => ready(s));
    s.once('error', fail);
  });
  server = listening;
  // A client that sends its headers or its body too slowly holds a socket for nothing (slowloris).
  (listening as Server).headersTimeout = HEADERS_TIMEOUT_MS;
  (listening as Server).requestTimeout = REQUEST_TIMEOUT_MS;
  attach(listening as Server);
  // Then no new connections. Its callback is not awaited: it comes when every connection has closed,
  // WebSockets included, and those close in the hub's stop.
  stops.push(async () => void listening.close());
  // The first step: fail the health check and refuse new sessions while a balancer notices.
  stops.push(async () => {
    hub.sessions.drain();
    if (config.drainMs > 0) await new Promise((r) => setTimeout(r, config.drainMs));
  });
  const address = listening.address();
  return typeof address === 'object' && address ? address.port : config.port;
}
