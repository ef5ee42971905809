import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { Histogram } from './histogram.js';
import { cpuSeconds, rssBytes } from './proc-stats.js';
import type { ScenarioContext } from './scenarios.js';

/**
 * N editors typing into one document and M readers following it, all
 * unmodified y-websocket providers against the hub's `/yjs/<name>`. Each
 * edit carries its send time; a reader records when the edit reached it.
 * Reports convergence (edit to every reader, p50, p99, max), whether every
 * copy ended equal, and the bytes readers received per edit.
 */
export async function collab(ctx: ScenarioContext, o: { editors: number; readers: number; rate: number; seconds: number }) {
  const url = `${ctx.sys.hub.url.replace(/^http/, 'ws')}/yjs`;
  // y-websocket listens for the process's exit once per provider.
  process.setMaxListeners(o.editors + o.readers + 20);
  const name = `load-${Date.now().toString(36)}`;
  let received = 0;
  /** Counts what readers' sockets receive, as a WebSocket would. */
  class CountingSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      // y-websocket asks for ArrayBuffers.
      this.on('message', (data: Buffer | ArrayBuffer) => (received += data.byteLength));
    }
  }
  const login = async (role: 'player' | 'viewer') => {
    const res = await fetch(`${ctx.sys.hub.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `load ${role}`, role }) });
    return ((await res.json()) as { token: string }).token;
  };
  const open = async (role: 'player' | 'viewer', counting: boolean) => {
    const doc = new Y.Doc();
    const p = new WebsocketProvider(url, name, doc, {
      WebSocketPolyfill: (counting ? CountingSocket : WebSocket) as unknown as typeof globalThis.WebSocket,
      params: { token: await login(role) },
      disableBc: true,
    });
    await new Promise<void>((resolve) => p.once('sync', () => resolve()));
    return { doc, p };
  };
  const editors = await Promise.all(Array.from({ length: o.editors }, () => open('player', false)));
  const readers = await Promise.all(Array.from({ length: o.readers }, () => open('viewer', true)));
  ctx.progress(`${o.editors} editors and ${o.readers} readers synced`);

  const convergence = new Histogram();
  const seen = readers.map(() => new Set<string>());
  for (const [i, r] of readers.entries()) {
    r.doc.getMap('edits').observe((e) => {
      const now = performance.timeOrigin + performance.now();
      for (const key of e.keysChanged) {
        if (seen[i]!.has(key)) continue;
        seen[i]!.add(key);
        convergence.record(now - (r.doc.getMap('edits').get(key) as number));
      }
    });
  }
  received = 0;
  const cpu0 = cpuSeconds(ctx.sys.hub.pid);
  const started = performance.now();
  let edits = 0;
  const timers = editors.map((e, i) =>
    setInterval(() => {
      // One edit: a few characters of text, and its send time under a key of its own.
      e.doc.transact(() => {
        e.doc.getText('notes').insert(0, `e${i} `);
        e.doc.getMap('edits').set(`${i}:${edits++}`, performance.timeOrigin + performance.now());
      });
    }, 1000 / o.rate),
  );
  const ticker = setInterval(() => ctx.progress(`${edits} edits, ${convergence.total} arrivals at readers…`), 1_000);
  await new Promise((r) => setTimeout(r, o.seconds * 1_000));
  for (const t of timers) clearInterval(t);
  // Whatever is still on its way arrives.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && seen.some((s) => s.size < edits)) await new Promise((r) => setTimeout(r, 100));
  clearInterval(ticker);
  const seconds = (performance.now() - started) / 1000;
  const texts = [...editors, ...readers].map((x) => x.doc.getText('notes').toString());
  const result = {
    scenario: 'collab',
    ...o,
    edits,
    editsPerSec: Math.round(edits / seconds),
    arrivals: convergence.total,
    missing: readers.length * edits - seen.reduce((n, s) => n + s.size, 0),
    converged: new Set(texts).size === 1,
    convergenceMs: { p50: round(convergence.quantile(0.5)), p99: round(convergence.quantile(0.99)), max: round(convergence.max) },
    bytesPerEditPerReader: Math.round(received / Math.max(1, edits) / Math.max(1, readers.length)),
    hub: { hubCpuPct: round(((cpuSeconds(ctx.sys.hub.pid) - cpu0) / seconds) * 100), hubRssMB: round(rssBytes(ctx.sys.hub.pid) / 1048576) },
  };
  for (const x of [...editors, ...readers]) {
    x.p.destroy();
    x.doc.destroy();
  }
  return result;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
