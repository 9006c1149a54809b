/**
 * Membership benchmark (issue 6): detection latency of a peer's kill -9 and false detections under
 * loss. Real processes, real UDP on loopback only (127.x.y.z), bounded loops.
 *
 *   npx tsx bench/membership-detection.ts [--trials 50] [--lossy-seconds 180] [--settings a,b] [--out bench/results/membership.json]
 *
 * 1. Detection: for each setting, one long-lived observer process and, per trial, a fresh victim
 *    process; once the observer sees the victim, the victim is killed with SIGKILL at a random phase of
 *    its heartbeat interval, and the time until the observer's `peer-lost` is recorded (both on the
 *    host's CLOCK_MONOTONIC). Two direct links.
 * 2. False detections: for each setting, two processes through the UDP fault relay with 20% loss and
 *    a uniform 10-90 ms delay on every link, both directions, for `--lossy-seconds`; every `link-down`
 *    and `peer-lost` is a false detection (nobody died).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/common/clock.js';
import { HEARTBEAT_PROFILES } from '../src/config/schema.js';
import { pairLayout, REPO_ROOT, SpawnedNode } from '../test/support/membership-harness.js';
import type { MembershipNodeConfig } from '../test/support/membership-node.js';
import { mulberry32, startUdpFaultRelay, type FaultSettings } from '../test/support/udp-fault-relay.js';

interface Setting {
  readonly name: string;
  readonly intervalMs: number;
  readonly warntimeMs: number;
  readonly deadtimeMs: number;
}

const SETTINGS: readonly Setting[] = [
  { name: 'default', intervalMs: 200, warntimeMs: 1000, deadtimeMs: 2000 },
  { name: 'tuned', intervalMs: 100, warntimeMs: 300, deadtimeMs: 500 },
  // Sub-second detection that still needs 10 consecutive losses on every link for a false verdict.
  { name: 'fast-robust', intervalMs: 50, warntimeMs: 300, deadtimeMs: 600 },
  // heartbeat.profile: fast (src/config/schema.ts).
  {
    name: 'profile-fast',
    intervalMs: HEARTBEAT_PROFILES.fast.interval,
    warntimeMs: HEARTBEAT_PROFILES.fast.warntime,
    deadtimeMs: HEARTBEAT_PROFILES.fast.deadtime,
  },
];
const LOSSY: FaultSettings = {
  dropRate: 0.2,
  delayMinMs: 10,
  delayMaxMs: 90,
  duplicateRate: 0,
  reorderRate: 0,
};
const KEY_HEX = 'b7'.repeat(32);

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '50' },
    'lossy-seconds': { type: 'string', default: '180' },
    // Comma-separated setting names (default: all), e.g. `--settings profile-fast`.
    settings: { type: 'string', default: '' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench/results/membership.json') },
  },
});
const TRIALS = Math.max(1, Math.min(500, Number(args.trials)));
const WANTED = args.settings === '' ? null : new Set(args.settings.split(','));
const RUN = SETTINGS.filter((s) => WANTED === null || WANTED.has(s.name));
if (RUN.length === 0)
  throw new Error(`--settings: none of ${args.settings} (known: ${SETTINGS.map((s) => s.name).join(', ')})`);
const LOSSY_MS = Math.max(5, Math.min(3600, Number(args['lossy-seconds']))) * 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function summarize(samples: number[]): Record<string, number> {
  const s = [...samples].sort((x, y) => x - y);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    minMs: s[0] ?? Number.NaN,
    medianMs: percentile(s, 50),
    p95Ms: percentile(s, 95),
    maxMs: s.at(-1) ?? Number.NaN,
    meanMs: Math.round(mean * 10) / 10,
  };
}

const tempDirs: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

function nodeConfig(
  setting: Setting,
  self: 'observer' | 'victim',
  links: MembershipNodeConfig['links'],
  stateDir: string,
  maxRunMs: number,
): MembershipNodeConfig {
  return {
    cluster: 'bench',
    node: self,
    peer: self === 'observer' ? 'victim' : 'observer',
    keyHex: KEY_HEX,
    stateDir,
    links,
    intervalMs: setting.intervalMs,
    warntimeMs: setting.warntimeMs,
    deadtimeMs: setting.deadtimeMs,
    maxRunMs,
  };
}

async function detection(setting: Setting, net: number): Promise<object> {
  const layout = await pairLayout(2, false, net);
  const observer = new SpawnedNode(
    nodeConfig(setting, 'observer', layout.linksA, await tempDir('ds-bench-obs-'), TRIALS * 15_000 + 30_000),
  );
  const victimDir = await tempDir('ds-bench-victim-');
  const rng = mulberry32(2026);
  const samples: number[] = [];
  let missed = 0;
  try {
    await observer.waitFor((l) => l.t === 'ready', 30_000, 'observer ready');
    for (let trial = 0; trial < TRIALS; trial++) {
      const startedAt = systemClock.nowMs();
      const victim = new SpawnedNode(nodeConfig(setting, 'victim', layout.linksB, victimDir, 60_000));
      try {
        await observer.waitEvent('peer-back', startedAt, 30_000);
        // Settle, then kill at a random phase of the heartbeat interval.
        await sleep(3 * setting.intervalMs + rng() * setting.intervalMs);
        const killedAt = victim.kill9();
        const lost = await observer.waitEvent('peer-lost', killedAt, setting.deadtimeMs + 10_000);
        samples.push(Math.round((lost.atMs ?? Number.NaN) - killedAt));
      } catch (e) {
        missed++;
        log(`  ${setting.name} trial ${trial}: ${String(e).slice(0, 200)}`);
      } finally {
        await victim.dispose();
      }
      if ((trial + 1) % 10 === 0) log(`  ${setting.name}: ${trial + 1}/${TRIALS} trials`);
    }
  } finally {
    await observer.dispose();
  }
  const falseLost = observer.events('peer-lost').length - samples.length;
  return {
    setting: setting.name,
    intervalMs: setting.intervalMs,
    warntimeMs: setting.warntimeMs,
    deadtimeMs: setting.deadtimeMs,
    links: 2,
    trials: TRIALS,
    completed: samples.length,
    missed,
    ...summarize(samples),
    withinDeadtimePlusInterval: samples.filter((s) => s <= setting.deadtimeMs + setting.intervalMs).length,
    unexpectedPeerLost: Math.max(0, falseLost),
    samplesMs: samples,
  };
}

async function lossyRun(setting: Setting, net: number, seed: number): Promise<object> {
  const layout = await pairLayout(2, true, net);
  const relay = await startUdpFaultRelay({
    links: layout.relay,
    seed,
    faults: LOSSY,
    stopAfterMs: LOSSY_MS + 60_000,
  });
  const a = new SpawnedNode(
    nodeConfig(setting, 'observer', layout.linksA, await tempDir('ds-bench-la-'), LOSSY_MS + 40_000),
  );
  const b = new SpawnedNode(
    nodeConfig(setting, 'victim', layout.linksB, await tempDir('ds-bench-lb-'), LOSSY_MS + 40_000),
  );
  try {
    await a.waitEvent('peer-back', 0, 30_000);
    await b.waitEvent('peer-back', 0, 30_000);
    const from = systemClock.nowMs();
    const until = from + LOSSY_MS;
    while (systemClock.nowMs() < until) await sleep(Math.min(1000, until - systemClock.nowMs()));
    const count = (n: SpawnedNode, kind: string): number =>
      n.events(kind).filter((e) => (e.atMs ?? 0) >= from).length;
    const countersA = await a.counters();
    const countersB = await b.counters();
    const stalls = count(a, 'stall') + count(b, 'stall');
    return {
      setting: setting.name,
      intervalMs: setting.intervalMs,
      warntimeMs: setting.warntimeMs,
      deadtimeMs: setting.deadtimeMs,
      links: 2,
      durationMs: LOSSY_MS,
      faults: LOSSY,
      falsePeerLost: count(a, 'peer-lost') + count(b, 'peer-lost'),
      falseLinkDown: count(a, 'link-down') + count(b, 'link-down'),
      linkLate: count(a, 'link-late') + count(b, 'link-late'),
      stallEvents: stalls,
      relay: relay.stats.map((s) => ({
        ...s,
        observedDropRate: Math.round((s.dropped / Math.max(1, s.received)) * 1000) / 1000,
      })),
      heartbeatsAccepted: [countersA, countersB].map((c) => (c.accepted as { heartbeat: number }).heartbeat),
    };
  } finally {
    await a.dispose();
    await b.dispose();
    await relay.stop();
  }
}

async function main(): Promise<void> {
  const startedIso = new Date().toISOString();
  log(`membership bench: ${TRIALS} trials per setting, lossy runs of ${LOSSY_MS / 1000}s`);
  const detectionResults: object[] = [];
  const loadBefore = loadavg();
  for (const [i, s] of RUN.entries()) {
    log(`detection, ${s.name} (interval ${s.intervalMs}ms, deadtime ${s.deadtimeMs}ms)`);
    detectionResults.push(await detection(s, 100 + i));
  }
  log(`lossy runs (all settings concurrently), ${LOSSY_MS / 1000}s`);
  const lossyResults = await Promise.all(RUN.map((s, i) => lossyRun(s, 110 + i, 6 + i)));
  const result = {
    benchmark: 'membership-detection',
    startedAt: startedIso,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg(),
    },
    method:
      'real processes (node --import tsx test/support/membership-node.ts), UDP on loopback, 2 links; ' +
      'latency = observer peer-lost time - SIGKILL time, both CLOCK_MONOTONIC; lossy runs through test/support/udp-fault-relay.ts',
    detection: detectionResults,
    lossy: lossyResults,
  };
  const out = resolve(args.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  for (const d of detectionResults) log(JSON.stringify({ ...d, samplesMs: undefined }));
  for (const l of lossyResults) log(JSON.stringify({ ...l, relay: undefined }));
  log(`written to ${out}`);
}

main()
  .catch((e: unknown) => {
    log(`bench failed: ${String(e)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const d of tempDirs) await rm(d, { recursive: true, force: true });
  });
