// Brings a fresh clone to the point where Pulse can start or be tested:
// npm dependencies, nats-server (and HAProxy for the cluster, chromium and
// Prometheus's tools for tests) from apt, and the dashboard build. Each step runs only when its
// output is missing or stale.
// Plain JavaScript with no dependencies: it runs before `npm ci`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const say = (msg) => console.log(`[pulse] ${msg}`);

class SetupError extends Error {}

/** The step running now, so that a signal can stop it rather than leave it behind. */
let current;

export function stopCurrentStep(signal) {
  current?.kill(signal);
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
    current = child;
    child.once('error', (err) => reject(new SetupError(`\`${cmd}\` could not start: ${err.message}`)));
    child.once('exit', (code, signal) => {
      current = undefined;
      if (code === 0) resolve();
      else reject(new SetupError(`\`${cmd} ${args.join(' ')}\` failed (exit ${code ?? signal})`));
    });
  });
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 6)) throw new SetupError(`Node ${process.versions.node} is too old: Pulse needs Node 20.6 or newer`);
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Newest modification time of any file under the given paths. */
function newest(paths) {
  let t = 0;
  for (const p of paths) {
    const full = join(ROOT, p);
    if (!existsSync(full)) continue;
    const st = statSync(full);
    if (st.isDirectory()) t = Math.max(t, newest(readdirSync(full).map((n) => join(p, n))));
    else t = Math.max(t, st.mtimeMs);
  }
  return t;
}

async function ensureNpmDependencies() {
  // npm writes node_modules/.package-lock.json on every install: older than the lock file means stale.
  const installed = mtime(join(ROOT, 'node_modules/.package-lock.json'));
  if (installed > 0 && installed >= mtime(join(ROOT, 'package-lock.json')) && installed >= mtime(join(ROOT, 'package.json'))) return;
  say(installed ? 'npm dependencies changed: reinstalling' : 'installing npm dependencies (npm ci)');
  await run('npm', ['ci', '--no-audit', '--no-fund']);
}

let aptUpdated = false;
async function aptInstall(packages, why) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !has('apt-get')) {
    throw new SetupError(`${why}. Install ${packages.join(' ')} yourself (Debian/Ubuntu: sudo apt-get install ${packages.join(' ')})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    say('apt-get update');
    await run('apt-get', ['update', '-qq'], { env });
    aptUpdated = true;
  }
  say(`apt-get install ${packages.join(' ')}`);
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
}

async function ensureNatsServer({ required }) {
  if (has('nats-server')) return;
  if (!required) return;
  await aptInstall(['nats-server'], 'nats-server is not installed and NATS_URL is not set, so the hub cannot start its own NATS; set NATS_URL to use an existing server, or');
}

async function ensureHaproxy() {
  if (has('haproxy')) return;
  await aptInstall(['haproxy'], 'the cluster (`npm run cluster` and its tests) runs HAProxy in front of its hubs');
}

/** Where the test setup unpacks Prometheus when the machine has none: its tools, without a service. */
export const PROMETHEUS_DIR = join(ROOT, '.data/tools/prometheus');

async function ensurePrometheus() {
  if ((has('promtool') && has('prometheus')) || existsSync(join(PROMETHEUS_DIR, 'usr/bin/promtool'))) return;
  // Unpacked, not installed: installing Debian's package would also start a Prometheus server on the machine.
  if (!has('apt-get') || !has('dpkg-deb')) throw new SetupError('the /metrics tests lint and scrape with Prometheus: install the prometheus package (promtool and prometheus)');
  mkdirSync(PROMETHEUS_DIR, { recursive: true });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated && typeof process.getuid === 'function' && process.getuid() === 0) {
    say('apt-get update');
    await run('apt-get', ['update', '-qq'], { env });
    aptUpdated = true;
  }
  say('apt-get download prometheus (unpacked into .data/tools for the /metrics tests)');
  await run('apt-get', ['download', '-qq', 'prometheus'], { cwd: PROMETHEUS_DIR, env });
  const deb = readdirSync(PROMETHEUS_DIR).find((f) => f.endsWith('.deb'));
  if (!deb) throw new SetupError('apt-get download prometheus left no package');
  await run('dpkg-deb', ['-x', deb, '.'], { cwd: PROMETHEUS_DIR });
  rmSync(join(PROMETHEUS_DIR, deb));
}

async function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  await aptInstall(['chromium'], 'the browser tests need Debian\'s chromium at /usr/bin/chromium');
}

async function ensureDashboardBuild() {
  const built = mtime(join(ROOT, 'dashboard/build/index.html'));
  const sources = newest([
    'dashboard/src',
    'dashboard/static',
    'dashboard/svelte.config.js',
    'dashboard/vite.config.ts',
    'dashboard/package.json',
    'hub/src/client',
    'hub/src/protocol',
    'package-lock.json',
  ]);
  if (built > 0 && built >= sources) return;
  say(built ? 'dashboard sources changed: rebuilding' : 'building the dashboard');
  await run('npm', ['run', 'build', '-w', 'dashboard']);
}

/** Everything `npm start` (or, with forTest, `npm test`; with forCluster, `npm run cluster`) needs. */
export async function ensure({ forTest = false, forCluster = false } = {}) {
  checkNode();
  await ensureNpmDependencies();
  // Tests and the cluster always start their own nats-servers; npm start needs one only without NATS_URL.
  await ensureNatsServer({ required: forTest || forCluster || !process.env.NATS_URL });
  if (forTest || forCluster) await ensureHaproxy();
  if (forTest) await ensureChromium();
  if (forTest) await ensurePrometheus();
  await ensureDashboardBuild();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      stopCurrentStep(signal);
      process.exit(130);
    });
  }
  try {
    await ensure({ forTest: process.argv.includes('--for-test') });
  } catch (err) {
    console.error(`[pulse] ${err instanceof SetupError ? err.message : err.stack}`);
    process.exit(1);
  }
}

export { SetupError };
