import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmbeddedNats, type EmbeddedNats } from '../bus/embedded-nats.js';
import { PROJECT_ROOT } from '../config.js';

export const TEST_PASSWORDS = { hub: 'hub', service: 'service', game: 'game', observer: 'observer' } as const;

export interface TestNats extends EmbeddedNats {
  dir: string;
  /** Stops the server but keeps its store, so it can be started again on the same port and dir. */
  halt(): Promise<void>;
}

/**
 * A real nats-server with the project's nats.conf and a throw-away store, on a
 * free port unless `port` is given (to restart a server where it was).
 */
export async function startTestNats(opts: { port?: number; dir?: string } = {}): Promise<TestNats> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pulse-nats-'));
  const server = await startEmbeddedNats({
    configFile: resolve(PROJECT_ROOT, 'nats.conf'),
    storeDir: join(dir, 'js'),
    port: opts.port ?? -1,
    passwords: TEST_PASSWORDS,
  });
  return {
    ...server,
    dir,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    halt: () => server.stop(),
  };
}
