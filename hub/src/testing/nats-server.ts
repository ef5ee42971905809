import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmbeddedNats, type EmbeddedNats } from '../bus/embedded-nats.js';
import { PROJECT_ROOT } from '../config.js';

export const TEST_PASSWORDS = { hub: 'hub', service: 'service', game: 'game' } as const;

export interface TestNats extends EmbeddedNats {
  dir: string;
}

/** A real nats-server with the project's nats.conf on a free port and a throw-away store. */
export async function startTestNats(): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-nats-'));
  const server = await startEmbeddedNats({
    configFile: resolve(PROJECT_ROOT, 'nats.conf'),
    storeDir: join(dir, 'js'),
    port: -1,
    passwords: TEST_PASSWORDS,
  });
  return {
    ...server,
    dir,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
