import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { freePort } from './free-port.js';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { connect, StorageType } from 'nats';
import { startEmbeddedNats, stopChild, withParentDeathSignal, type EmbeddedNats } from '../bus/embedded-nats.js';
import { PROJECT_ROOT } from '../config.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';

/**
 * Pulse as a deployment runs it, on loopback: three nats-servers routed into
 * one cluster (deploy/nats-cluster.conf) with every stream and bucket at R3,
 * two hubs, and HAProxy in front of them (deploy/haproxy.cfg). `npm run
 * cluster` runs one; the fault tests kill and restart its parts.
 */
export interface LocalClusterOptions {
  /** Where each node keeps its JetStream store. */
  dir: string;
  passwords: { hub: string; service: string; game: string; observer: string };
  jwtSecret: string;
  /** Every port it listens on; free ones are picked where left out. */
  ports?: Partial<ClusterPorts>;
  /** More environment for both hubs. */
  hubEnv?: Record<string, string>;
  /** The demo feeds, run by the first hub. */
  demo?: boolean;
  /** Lines the processes print after they are up. */
  log?: (from: string, line: string) => void;
  /** Hears each part as it becomes ready. */
  ready?: (member: ClusterMember) => void;
  /**
   * Each process in its own group (still ending with this one): a Ctrl-C at the
   * terminal then reaches only the caller, which stops them in order. Tests
   * leave them in theirs.
   */
  ownProcessGroups?: boolean;
}

export interface ClusterPorts {
  balancer: number;
  hubs: [number, number];
  nats: [number, number, number];
  routes: [number, number, number];
}

/** A part of the cluster that can be killed and brought back where it was. */
export interface ClusterMember {
  readonly name: string;
  readonly url: string;
  /** Its process while it runs, for its memory and CPU. */
  readonly pid: number | undefined;
  /** SIGTERM, and wait until it is gone. */
  stop(): Promise<void>;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and, for NATS, the same store). */
  start(): Promise<void>;
}

export interface LocalCluster {
  /** The balancer's URL: what clients use. */
  url: string;
  natsServers: string;
  nats: ClusterMember[];
  hubs: ClusterMember[];
  /** Stops everything, the balancer and hubs first. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const ports = await pickPorts(o.ports ?? {});
  const { nats, natsServers } = natsNodes(ports, o);
  const started: ClusterMember[] = [];
  try {
    for (const n of nats) started.push(n);
    await Promise.all(nats.map(async (n) => {
      await n.start();
      o.ready?.(n);
    }));
    await jetStreamReady(natsServers, o.passwords.hub);
    const hubs = ports.hubs.map((port, i) => hubNode(`hub-${i + 1}`, port, natsServers, o, i === 0 && o.demo === true));
    // One after the other: the first creates the streams and buckets the second finds.
    for (const h of hubs) {
      started.push(h);
      await h.start();
      o.ready?.(h);
    }
    const balancer = haproxy(ports, o);
    started.push(balancer);
    await balancer.start();
    o.ready?.(balancer);
    return {
      url: balancer.url,
      natsServers,
      nats,
      hubs,
      stop: () => stopAll(started),
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

async function stopAll(members: ClusterMember[]): Promise<void> {
  const byKind = (prefix: string) => members.filter((m) => m.name.startsWith(prefix));
  await Promise.allSettled(byKind('balancer').map((m) => m.stop()));
  await Promise.allSettled(byKind('hub').map((m) => m.stop()));
  await Promise.allSettled(byKind('nats').map((m) => m.stop()));
}

/** The three NATS nodes of a cluster, not started, and the server list clients connect to. */
export function natsNodes(ports: ClusterPorts, o: LocalClusterOptions): { nats: ClusterMember[]; natsServers: string } {
  const routes = `[${ports.routes.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}]`;
  return {
    nats: ports.nats.map((port, i) => natsNode(`nats-${i + 1}`, port, ports.routes[i]!, routes, o)),
    natsServers: ports.nats.map((p) => `nats://127.0.0.1:${p}`).join(','),
  };
}

function natsNode(name: string, port: number, routePort: number, routes: string, o: LocalClusterOptions): ClusterMember {
  let server: EmbeddedNats | undefined;
  return {
    name,
    url: `nats://127.0.0.1:${port}`,
    get pid() {
      return server?.pid;
    },
    async start() {
      const storeDir = join(o.dir, name);
      mkdirSync(storeDir, { recursive: true });
      server = await startEmbeddedNats({
        configFile: resolve(PROJECT_ROOT, 'deploy/nats-cluster.conf'),
        storeDir,
        port,
        passwords: o.passwords,
        ownProcessGroup: o.ownProcessGroups ?? false,
        env: { NATS_SERVER_NAME: name, NATS_CLUSTER_HOST: '127.0.0.1', NATS_CLUSTER_PORT: String(routePort), NATS_ROUTES: routes },
        ...(o.log && { log: (line: string) => o.log!(name, line) }),
      });
    },
    stop: async () => server?.stop(),
    kill: async () => server?.kill(),
  };
}

/**
 * JetStream in a cluster can place a stream on three nodes once they have
 * elected a metadata leader and know each other: a throw-away R3 stream is
 * created until that works.
 */
async function jetStreamReady(servers: string, password: string): Promise<void> {
  const nc = await connect({ servers: servers.split(','), user: 'hub', pass: password, name: 'pulse-cluster-check' });
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      try {
        const jsm = await nc.jetstreamManager();
        await jsm.streams.add({ name: 'PULSE_CLUSTER_CHECK', subjects: ['pulse.cluster-check'], num_replicas: 3, storage: StorageType.Memory });
        await jsm.streams.delete('PULSE_CLUSTER_CHECK');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`JetStream of the cluster was not ready within ${READY_TIMEOUT_MS} ms: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await nc.close();
  }
}

/** A hub of the cluster, not started. */
export function hubNode(name: string, port: number, natsServers: string, o: LocalClusterOptions, demo: boolean): ClusterMember {
  let hub: ServiceProcess | undefined;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    get pid() {
      return hub?.pid;
    },
    async start() {
      hub = await startServiceProcess({
        name,
        script: resolve(PROJECT_ROOT, 'hub/src/main.ts'),
        env: {
          PORT: String(port),
          HOST: '127.0.0.1',
          NATS_URL: natsServers,
          NATS_HUB_PASSWORD: o.passwords.hub,
          NATS_SERVICE_PASSWORD: o.passwords.service,
          NATS_GAME_PASSWORD: o.passwords.game,
          HUB_JWT_SECRET: o.jwtSecret,
          HUB_JS_REPLICAS: '3',
          HUB_ALLOW_ANONYMOUS: '1',
          HUB_OPS_PUBLIC: '1',
          // HAProxy, on loopback here, says who each client is (deploy/haproxy.cfg).
          HUB_TRUSTED_PROXIES: '127.0.0.1',
          HUB_NAME: name,
          // HAProxy notices a failing check within two checks 500 ms apart (deploy/haproxy.cfg).
          HUB_DRAIN_MS: '1500',
          HUB_DEMO: demo ? '1' : '0',
          ...o.hubEnv,
        },
        ready: /hub listening on (http:\/\/[\d.]+:(\d+))/,
        startTimeoutMs: READY_TIMEOUT_MS,
        // A hub stops within 10 s, its drain included; SIGKILL only after that.
        killAfterMs: 10_000,
        ownProcessGroup: o.ownProcessGroups ?? false,
        ...(o.log && { onLine: (line: string) => o.log!(name, line) }),
      });
    },
    stop: async () => hub?.stop(),
    kill: async () => hub?.kill('SIGKILL'),
  };
}

function haproxy(ports: ClusterPorts, o: LocalClusterOptions): ClusterMember {
  let child: ChildProcess | undefined;
  const url = `http://127.0.0.1:${ports.balancer}`;
  return {
    name: 'balancer',
    url,
    get pid() {
      return child?.pid;
    },
    async start() {
      const args = ['-f', resolve(PROJECT_ROOT, 'deploy/haproxy.cfg'), '-db'];
      const [command, argv] = o.ownProcessGroups ? withParentDeathSignal('haproxy', args) : ['haproxy', args];
      child = spawn(command, argv, {
        detached: o.ownProcessGroups ?? false,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          PULSE_BIND: `127.0.0.1:${ports.balancer}`,
          HUB_1: `127.0.0.1:${ports.hubs[0]}`,
          HUB_2: `127.0.0.1:${ports.hubs[1]}`,
        },
      });
      const output: string[] = [];
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => {
          output.push(line);
          o.log?.('balancer', line);
        });
      }
      const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`haproxy exited (${code}):\n${output.join('\n')}`))));
      await Promise.race([exited, untilHealthy(`${url}/healthz`)]);
    },
    stop: async () => {
      if (child) await stopChild(child, 'SIGTERM');
    },
    kill: async () => {
      if (child) await stopChild(child, 'SIGKILL');
    },
  };
}

async function untilHealthy(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const ok = await fetch(url)
      .then(async (res) => {
        await res.arrayBuffer();
        return res.ok;
      })
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer 200 within ${READY_TIMEOUT_MS} ms`);
}

export async function pickPorts(given: Partial<ClusterPorts>): Promise<ClusterPorts> {
  return {
    balancer: given.balancer ?? (await freePort()),
    hubs: given.hubs ?? [await freePort(), await freePort()],
    nats: given.nats ?? [await freePort(), await freePort(), await freePort()],
    routes: given.routes ?? [await freePort(), await freePort(), await freePort()],
  };
}
