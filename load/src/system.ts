import { connect, type NatsConnection } from 'nats';
import { roomSubject } from '@pulse/hub/protocol';
import { startTestNats, TEST_PASSWORDS, type TestNats } from '@pulse/hub/testing';
import { launchServer, type RunningServer } from './servers/launch.js';

/** A nats-server and a hub started for one load run, stopped together. */
export interface LoadSystem {
  nats: TestNats;
  hub: RunningServer;
  /** Publishes as `game` (room events) and as `service` (metric samples). */
  game: NatsConnection;
  service: NatsConnection;
  stop(): Promise<void>;
}

export async function startSystem(hubWorkers: number, subject = roomSubject('load', 'events')): Promise<LoadSystem> {
  const nats = await startTestNats();
  const hub = await launchServer('hub', { url: nats.url, user: 'hub', pass: TEST_PASSWORDS.hub }, subject, { HUB_WORKERS: String(hubWorkers) });
  const game = await connect({ servers: nats.url, user: 'game', pass: TEST_PASSWORDS.game, name: 'pulse-load-game' });
  const service = await connect({ servers: nats.url, user: 'service', pass: TEST_PASSWORDS.service, name: 'pulse-load-service' });
  return {
    nats,
    hub,
    game,
    service,
    stop: async () => {
      await hub.stop();
      await game.close();
      await service.close();
      await nats.stop();
    },
  };
}
