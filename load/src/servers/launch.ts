import { fileURLToPath } from 'node:url';
import { startServiceProcess, type ServiceProcess } from '@pulse/hub/testing';
import { MEMORY_PROBE } from './retained-memory.js';

export type ServerKind = 'hub' | 'bare-ws' | 'socketio';

export interface RunningServer extends ServiceProcess {
  kind: ServerKind;
}

const SCRIPTS: Record<ServerKind, string> = {
  hub: fileURLToPath(new URL('../../../hub/src/main.ts', import.meta.url)),
  'bare-ws': fileURLToPath(new URL('./bare-ws.ts', import.meta.url)),
  socketio: fileURLToPath(new URL('./socketio.ts', import.meta.url)),
};

/**
 * Starts a server under test as its own process on a free port, relaying
 * `subject` from NATS (the hub through its rooms stream, the baselines
 * directly), and resolves once it listens. Each carries the memory probe
 * (see retained-memory.ts), so all are measured the same way.
 */
export async function launchServer(kind: ServerKind, nats: { url: string; user: string; pass: string }, subject: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServiceProcess({
    name: kind,
    script: SCRIPTS[kind],
    preload: [MEMORY_PROBE],
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      NATS_URL: nats.url,
      NATS_USER: nats.user,
      NATS_PASS: nats.pass,
      NATS_HUB_PASSWORD: nats.pass,
      SUBJECT: subject,
      HUB_DEMO: '0',
      HUB_ALLOW_ANONYMOUS: '1',
      HUB_JWT_SECRET: 'load-test-secret',
      HUB_MAX_CONNECTIONS: '100000',
      ...env,
    },
    ready: /listening on (http:\/\/[\d.]+:(\d+))/,
    startTimeoutMs: 30_000,
    killAfterMs: 5_000,
  });
  return { ...server, kind };
}
