import { test } from '@playwright/test';
import { GameServer } from '@pulse/hub/demo';
import { TEST_PASSWORDS } from '@pulse/hub/testing';
import type { System } from '../helpers.js';

/**
 * The demo game server on the file's system, as `npm start` runs it, for the
 * tests of one file; what a test adds (bots) goes in `stops`, stopped first.
 */
export function useGameServer(sys: System): { stops: Array<() => Promise<unknown>> } {
  let game: GameServer | undefined;
  const stops: Array<() => Promise<unknown>> = [];
  test.beforeAll(async () => {
    game = await GameServer.start({ servers: sys.nats.url, password: TEST_PASSWORDS.game });
  });
  test.afterAll(async () => {
    for (const stop of stops) await stop().catch(() => undefined);
    await game?.stop();
  });
  return { stops };
}
