import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PROBE_TAG } from './retained-memory.js';

/*
 * Preloaded into every server the benchmark starts, the hub and the baselines
 * alike: on SIGUSR2, two full garbage collections, then one line saying what
 * the process still holds. Without it, memory read from outside includes
 * whatever garbage the collector has not reached yet, which depends on when
 * it last ran more than on what a connection keeps.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

process.on('SIGUSR2', () => {
  gc();
  gc();
  const { heapUsed, rss } = process.memoryUsage();
  console.log(`${PROBE_TAG} ${JSON.stringify({ pid: process.pid, heapUsed, rss })}`);
});
