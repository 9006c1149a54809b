/**
 * Failover benchmark: how long after a power loss of the Primary's node the survivor serves the resource
 * again (Primary, UpToDate, mounted), over N trials of the local pair (simulated DRBD on loopback, real
 * daemons). Reports median, p95 and max, and the share of that time spent in the configured waits
 * (dead time + fence delay) versus the rest (fencing, promote, mount, and the simulator's per-command
 * process start). Writes bench/results/failover.json.
 *
 *   npx tsx bench/failover.ts [--trials N] [--out FILE]
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalPair, localHost, resourceOf, servesResource } from '../src/demo/pair.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const trials = Number(arg('--trials', '10'));
const out = arg('--out', join(root, 'bench', 'results', 'failover.json'));
const DEADTIME_MS = 1_000;
const FENCE_DELAY_MS = 1_000;

async function trial(n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'drbd-sentinel-bench-'));
  const base = 30_000 + ((process.pid + n * 7) % 20_000);
  const pair = new LocalPair({
    dir,
    hosts: [localHost('alpha', ['127.0.0.2', '127.0.1.2']), localHost('bravo', ['127.0.0.3', '127.0.1.3'])],
    cliPath: join(root, 'dist', 'cli.js'),
    simScripts: join(root, 'scripts', 'sim'),
    heartbeatPort: base,
    replicationPort: base + 1,
    heartbeat: { interval: '100ms', deadtime: `${DEADTIME_MS}ms`, warntime: '500ms', initdead: '10s' },
    fenceDelay: `${FENCE_DELAY_MS}ms`,
  });
  try {
    pair.prepare();
    for (const i of [0, 1] as const) pair.startDrbd(i);
    for (const i of [0, 1] as const) pair.startDaemon(i);
    const [a] = await pair.waitFor(
      'steady pair',
      (x, y) =>
        (servesResource(x) && resourceOf(y)?.disk === 'UpToDate') ||
        (servesResource(y) && resourceOf(x)?.disk === 'UpToDate'),
      90_000,
    );
    const primary = servesResource(a) ? 0 : 1;
    const survivor = (1 - primary) as 0 | 1;
    const t0 = performance.now();
    pair.powerOff(primary);
    await pair.waitFor('survivor serves', (x, y) => servesResource(survivor === 0 ? x : y), 120_000);
    return performance.now() - t0;
  } finally {
    await pair.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))] as number;
};

const samples: number[] = [];
const loadBefore = loadavg()[0];
for (let n = 0; n < trials; n++) {
  const ms = await trial(n);
  samples.push(ms);
  process.stdout.write(`trial ${n + 1}/${trials}: ${Math.round(ms)} ms\n`);
}
const median = quantile(samples, 0.5);
const waits = DEADTIME_MS + FENCE_DELAY_MS;
const result = {
  benchmark: 'failover after power loss of the Primary (local pair, simulated DRBD)',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, loadavg1mBefore: loadBefore, loadavg1mAfter: loadavg()[0] },
  config: { deadtimeMs: DEADTIME_MS, fenceDelayMs: FENCE_DELAY_MS, heartbeatIntervalMs: 100 },
  trials,
  samplesMs: samples.map(Math.round),
  medianMs: Math.round(median),
  p95Ms: Math.round(quantile(samples, 0.95)),
  maxMs: Math.round(Math.max(...samples)),
  /** Median failover time over the configured waits (dead time + fence delay): 1.0 would be no overhead. */
  medianOverConfiguredWaits: Number((median / waits).toFixed(2)),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
