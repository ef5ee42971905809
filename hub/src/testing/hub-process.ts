import { resolve } from 'node:path';
import { PROJECT_ROOT } from '../config.js';
import { TEST_PASSWORDS } from './nats-server.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';
import { TEST_JWT_SECRET } from './tokens.js';

export interface HubProcess extends ServiceProcess {
  wsUrl: string;
}

/** Runs the real hub (hub/src/main.ts) as a child process on a free port. */
export async function startHubProcess(natsUrl: string, env: Record<string, string> = {}): Promise<HubProcess> {
  const hub = await startServiceProcess({
    name: 'hub',
    script: resolve(PROJECT_ROOT, 'hub/src/main.ts'),
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      NATS_URL: natsUrl,
      NATS_HUB_PASSWORD: TEST_PASSWORDS.hub,
      HUB_JWT_SECRET: TEST_JWT_SECRET,
      HUB_ALLOW_ANONYMOUS: '1',
      HUB_DEMO: '0',
      ...env,
    },
    ready: /hub listening on (http:\/\/[\d.]+:(\d+))/,
  });
  return { ...hub, wsUrl: `ws://127.0.0.1:${hub.port}/ws` };
}
