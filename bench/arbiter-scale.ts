/**
 * Scale benchmark of the etcd arbiter (issue 15 item 6): N local pairs (real daemons on simulated
 * DRBD, src/demo/pair.ts), every daemon with an `arbiter:` section pointing at one three-member etcd
 * (real /usr/bin/etcd, test/support/etcd-cluster.ts), each pair under its own cluster name, all under
 * one prefix.
 *
 * 1. Steady state, for each N of --sizes (pairs are added, never restarted): after --warmup seconds,
 *    the deltas of etcd's own /metrics over --window seconds, summed over the three members: gRPC
 *    calls started and messages received per method, client gRPC bytes in and out, raft peer bytes,
 *    committed proposals, etcd's CPU seconds; divided per pair and per second (etcd's CPU and raft
 *    bytes above those of the idle cluster, N = 0, which raft's own heartbeats dominate). `fleet
 *    status` is read at the end of each window: every daemon must be listed, none stale.
 * 2. Capacity: for --probe seconds each, as many 300-byte puts and as many keep-alives (each on its
 *    own stream, as the adapter sends them) as 64 concurrent callers get through this cluster, with
 *    the pairs still running: what this machine's etcd carries, to divide by the cost per pair.
 * 3. Takeover: --takeover pairs lose their Primary at the same moment (daemon and DRBD SIGKILLed); per
 *    pair the time from the power-off to the survivor's start-services step (its own log), its phases
 *    (detection, fence wait, fence, promote...), and whether it claimed the owner key in etcd (the
 *    `arbiter-claim` action; absent while the engine's arbiter rules are not merged, when the
 *    takeover pays the fence delay like a pair without an arbiter). Re-run unchanged once they are.
 *
 *   npm run bench:arbiter-scale -- [--sizes 5,10,20] [--warmup 10] [--window 20] [--takeover 20]
 *                                  [--fence-delay 1s] [--label current] [--out FILE]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEtcdClient } from '../src/arbiter/etcd-client.js';
import { readFleet, type FleetRow } from '../src/arbiter/fleet.js';
import { LocalPair, loopbackHosts, servesResource, sleep } from '../src/demo/pair.js';
import { EtcdCluster } from '../test/support/etcd-cluster.js';
import { logLines, quantile, takeoverPhases } from './takeover-phases.js';
import { standIns } from './sim-stand-ins.js';
import { arg } from './cli-args.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sizes = arg('--sizes', '0,5,10,20').split(',').map(Number);
const warmupS = Number(arg('--warmup', '10'));
const windowS = Number(arg('--window', '20'));
const takeoverPairs = Number(arg('--takeover', '20'));
const probeS = Number(arg('--probe', '5'));
const fenceDelay = arg('--fence-delay', '1s');
const label = arg('--label', 'current');
const out = arg('--out', join(repo, 'bench', 'results', 'arbiter-scale.json'));
const PREFIX = '/bench';
const LEASE_TTL = '10s';
const maxPairs = Math.max(...sizes, takeoverPairs);

// ---------------------------------------------------------------------------------------------------
// etcd's /metrics

type Sample = Map<string, number>;

/** Every sample of one member's /metrics, keyed `name{labels}`. */
async function scrape(endpoint: string): Promise<Sample> {
  const res = await fetch(`${endpoint}/metrics`);
  const m: Sample = new Map();
  for (const line of (await res.text()).split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

const scrapeAll = (etcd: EtcdCluster) => Promise.all(etcd.endpoints.map(scrape));

/** Sum over members of (after - before) of the samples whose key matches. */
function delta(before: Sample[], after: Sample[], match: (key: string) => boolean): number {
  let d = 0;
  after.forEach((a, i) => {
    for (const [k, v] of a) if (match(k)) d += v - (before[i]?.get(k) ?? 0);
  });
  return d;
}

const byMethod = (before: Sample[], after: Sample[], metric: string) => {
  const methods = new Set<string>();
  for (const a of after)
    for (const k of a.keys()) {
      const m = new RegExp(`^${metric}\\{.*grpc_method="([^"]+)"`).exec(k);
      if (m) methods.add(m[1] as string);
    }
  const r: Record<string, number> = {};
  for (const method of [...methods].sort()) {
    const d = delta(
      before,
      after,
      (k) => k.startsWith(`${metric}{`) && k.includes(`grpc_method="${method}"`),
    );
    if (d > 0) r[method] = d;
  }
  return r;
};

/** Machine-wide CPU busy fraction between two os.cpus() readings. */
function busy(a: ReturnType<typeof cpus>, b: ReturnType<typeof cpus>): number {
  let total = 0;
  let idle = 0;
  b.forEach((c, i) => {
    const p = a[i];
    if (!p) return;
    const t = (x: typeof c.times) => x.user + x.nice + x.sys + x.idle + x.irq;
    total += t(c.times) - t(p.times);
    idle += c.times.idle - p.times.idle;
  });
  return total === 0 ? 0 : 1 - idle / total;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------------
// pairs

interface BenchPair {
  readonly name: string;
  readonly dir: string;
  readonly pair: LocalPair;
  primary: 0 | 1;
}

async function startPair(k: number, etcd: EtcdCluster): Promise<BenchPair> {
  const name = `pair-${String(k).padStart(2, '0')}`;
  const dir = mkdtempSync(join(tmpdir(), `drbd-sentinel-scale-${name}-`));
  // Two ports per pair (heartbeat, replication) on the shared loopback addresses.
  const base = 20_000 + (process.pid % 300) * 100 + k * 2;
  const pair = new LocalPair({
    dir,
    hosts: loopbackHosts(),
    cliPath: join(repo, 'dist', 'cli.js'),
    simScripts: standIns(repo, dir),
    heartbeatPort: base,
    replicationPort: base + 1,
    heartbeat: { profile: 'default', initdead: '10s' },
    fenceDelay,
    // Each pair its own cluster name: the fleet under the one prefix tells them apart by it.
    clusterName: name,
    arbiter: { endpoints: etcd.endpoints, prefix: PREFIX, leaseTtl: LEASE_TTL, timeout: '1s' },
  });
  return { name, dir, pair, primary: await pair.startServing(180_000) };
}

const benchConfig = (etcd: EtcdCluster) => ({
  endpoints: etcd.endpoints,
  prefix: PREFIX,
  tls: null,
  user: null,
  passwordFile: null,
  leaseTtlMs: 10_000,
  timeoutMs: 3_000,
});

async function fleetRows(etcd: EtcdCluster): Promise<FleetRow[]> {
  const c = await createEtcdClient(benchConfig(etcd));
  if (!c.ok) throw new Error(c.error);
  try {
    return await readFleet(c.value, PREFIX, Date.now(), 30_000);
  } finally {
    c.value.close();
  }
}

/** Requests per second that `callers` concurrent loops of `op` complete in `seconds`. */
async function rate(seconds: number, callers: number, op: (worker: number) => Promise<unknown>) {
  let done = 0;
  let failed = 0;
  const t0 = Date.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_, w) => {
      while (Date.now() < until)
        await op(w).then(
          () => done++,
          () => failed++,
        );
    }),
  );
  return { perSecond: Math.round(done / ((Date.now() - t0) / 1000)), failed };
}

async function capacity(etcd: EtcdCluster) {
  const c = await createEtcdClient(benchConfig(etcd));
  if (!c.ok) throw new Error(c.error);
  const client = c.value;
  const value = Buffer.from('x'.repeat(300));
  const [c0, l0] = [cpus(), loadavg()];
  try {
    const puts = await rate(probeS, 64, (w) => client.kv.put({ key: Buffer.from(`/capacity/${w}`), value }));
    const lease = await client.leaseClient.leaseGrant({ TTL: 60, ID: 0 });
    const keepAlives = await rate(probeS, 64, async () => {
      const stream = await client.leaseClient.leaseKeepAlive();
      try {
        await new Promise((resolve, reject) => {
          stream.on('data', resolve);
          stream.on('error', reject);
          stream.write({ ID: lease.ID });
        });
      } finally {
        stream.end();
      }
    });
    await client.leaseClient.leaseRevoke({ ID: lease.ID });
    await client.kv.deleteRange({ key: Buffer.from('/capacity/'), range_end: Buffer.from('/capacity0') });
    return {
      callers: 64,
      seconds: probeS,
      puts300B: puts,
      keepAlives,
      machine: { loadavgBefore: l0, loadavgAfter: loadavg(), cpuBusy: round(busy(c0, cpus()), 2) },
    };
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// takeover analysis (the survivor's own log, as bench/failover.ts)

interface Takeover {
  readonly pair: string;
  readonly takeoverMs: number;
  readonly detectionMs: number;
  readonly fenceWaitMs: number;
  readonly fenceMs: number;
  readonly promoteMs: number;
  /** The survivor's arbiter-claim action (its status), null when it took none. */
  readonly arbiterClaim: string | null;
}

function analyse(p: BenchPair, t0: number): Takeover {
  const survivor = (1 - p.primary) as 0 | 1;
  const lines = logLines(readFileSync(join(p.pair.paths[survivor].root, 'daemon.log'), 'utf8'));
  const { takeoverMs, phases } = takeoverPhases(lines, t0, p.name);
  const claim = lines.find((l) => l.t >= t0 && l.msg === 'action done' && l.j.action === 'arbiter-claim');
  return {
    pair: p.name,
    takeoverMs,
    detectionMs: phases.detection,
    fenceWaitMs: phases.fenceWait,
    fenceMs: phases.fence,
    promoteMs: phases.promote,
    arbiterClaim: claim === undefined ? null : String(claim.j.status ?? 'done'),
  };
}
const dist = (xs: readonly number[]) => ({
  min: Math.min(...xs),
  median: quantile(xs, 0.5),
  p90: quantile(xs, 0.9),
  max: Math.max(...xs),
});

// ---------------------------------------------------------------------------------------------------

const loadStart = loadavg();
const etcd = await EtcdCluster.start({ size: 3 });
const pairs: BenchPair[] = [];
const steady: Record<string, unknown>[] = [];
let takeover: Record<string, unknown> | null = null;
let probe: Awaited<ReturnType<typeof capacity>> | null = null;
let observeOnly = false;
try {
  for (const n of [...new Set([...sizes, maxPairs])].sort((x, y) => x - y)) {
    const t = Date.now();
    // A few at a time: 4 processes start per pair on a shared 2-core machine.
    while (pairs.length < n) {
      const batch = Array.from({ length: Math.min(5, n - pairs.length) }, (_, j) => pairs.length + j);
      pairs.push(...(await Promise.all(batch.map((k) => startPair(k, etcd)))));
    }
    process.stdout.write(`${n} pairs serving (${Math.round((Date.now() - t) / 1000)} s to start)\n`);
    if (!sizes.includes(n)) continue;
    await sleep(warmupS * 1000);
    const [c0, l0, m0, w0] = [cpus(), loadavg(), await scrapeAll(etcd), Date.now()];
    await sleep(windowS * 1000);
    const [m1, w1, c1, l1] = [await scrapeAll(etcd), Date.now(), cpus(), loadavg()];
    const s = (w1 - w0) / 1000;
    const started = byMethod(m0, m1, 'grpc_server_started_total');
    const received = byMethod(m0, m1, 'grpc_server_msg_received_total');
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const grpcIn = delta(m0, m1, (k) => k.startsWith('etcd_network_client_grpc_received_bytes_total'));
    const grpcOut = delta(m0, m1, (k) => k.startsWith('etcd_network_client_grpc_sent_bytes_total'));
    const peerOut = delta(m0, m1, (k) => k.startsWith('etcd_network_peer_sent_bytes_total'));
    const proposals = delta(m0, m1, (k) => k === 'etcd_server_proposals_committed_total');
    const cpuEtcd = delta(m0, m1, (k) => k === 'process_cpu_seconds_total');
    const dbBytes = m1.map((m) => m.get('etcd_mvcc_db_total_size_in_bytes') ?? 0);
    const rows = n === 0 ? [] : await fleetRows(etcd);
    const perPair = (x: number) => (n === 0 ? null : round(x / s / n));
    const idle = steady[0]?.pairs === 0 ? (steady[0].totalPerSecond as Record<string, number>) : null;
    const r = {
      pairs: n,
      daemons: 2 * n,
      windowSeconds: round(s, 1),
      perPairPerSecond: {
        grpcCallsStarted: perPair(sum(started)),
        grpcMessagesReceived: perPair(sum(received)),
        clientBytesIn: perPair(grpcIn),
        clientBytesOut: perPair(grpcOut),
        raftPeerBytesSentAboveIdle:
          idle === null ? null : perPair(peerOut - (idle.raftPeerBytesSent as number) * s),
        // Committed proposals summed over 3 members: each member applies every one.
        proposalsCommitted: perPair(proposals / 3),
        etcdCpuMsAllMembersAboveIdle:
          idle === null
            ? null
            : perPair((cpuEtcd - ((idle.etcdCpuPercentOfOneCoreAllMembers as number) / 100) * s) * 1000),
      },
      totalPerSecond: {
        grpcMessagesReceived: round(sum(received) / s, 2),
        clientBytesIn: Math.round(grpcIn / s),
        clientBytesOut: Math.round(grpcOut / s),
        raftPeerBytesSent: Math.round(peerOut / s),
        proposalsCommitted: round(proposals / 3 / s, 2),
        etcdCpuPercentOfOneCoreAllMembers: round((cpuEtcd / s) * 100, 2),
      },
      dbSizeBytesPerMember: dbBytes,
      grpcMessagesReceivedByMethod: Object.fromEntries(
        Object.entries(received).map(([k, v]) => [k, round(v / s, 2)]),
      ),
      grpcCallsStartedByMethod: Object.fromEntries(
        Object.entries(started).map(([k, v]) => [k, round(v / s, 2)]),
      ),
      fleetStatus: {
        rows: rows.length,
        stale: rows.filter((x) => x.stale).length,
        clusters: new Set(rows.map((x) => x.cluster)).size,
      },
      machine: { loadavgBefore: l0, loadavgAfter: l1, cpuBusy: round(busy(c0, c1), 2) },
    };
    if ((n > 0 && r.fleetStatus.rows !== 2 * n) || r.fleetStatus.stale !== 0)
      throw new Error(
        `fleet status lists ${rows.length} rows (${r.fleetStatus.stale} stale), expected ${2 * n}`,
      );
    steady.push(r);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }

  if (probeS > 0) {
    probe = await capacity(etcd);
    process.stdout.write(`${JSON.stringify(probe)}\n`);
    // Let the pairs' leases and loops settle after the probe's load.
    await sleep(5_000);
  }
  observeOnly = pairs.some((p) =>
    readFileSync(join(p.pair.paths[0].root, 'daemon.log'), 'utf8').includes('ARBITER_OBSERVE_ONLY'),
  );
  const victims = pairs.slice(0, takeoverPairs);
  const [c0, l0] = [cpus(), loadavg()];
  await sleep(1_000);
  const t0 = Date.now();
  for (const p of victims) p.pair.powerOff(p.primary);
  await Promise.all(
    victims.map((p) =>
      p.pair.waitFor(`${p.name} survivor serves`, (x, y) => servesResource(p.primary === 0 ? y : x), 180_000),
    ),
  );
  const allServeMs = Date.now() - t0;
  await sleep(500);
  const results = victims.map((p) => analyse(p, t0));
  const [c1, l1] = [cpus(), loadavg()];
  // The powered-off nodes' leases run out: fleet status then shows them missing.
  await sleep(12_000);
  const rows = await fleetRows(etcd);
  takeover = {
    pairs: victims.length,
    pairsRunning: pairs.length,
    observeOnly,
    fenceDelay,
    arbiterClaims: results.filter((r) => r.arbiterClaim !== null).length,
    allServingAfterMs: allServeMs,
    takeoverMs: dist(results.map((r) => r.takeoverMs)),
    detectionMs: dist(results.map((r) => r.detectionMs)),
    fenceWaitMs: dist(results.map((r) => r.fenceWaitMs)),
    fenceMs: dist(results.map((r) => r.fenceMs)),
    promoteMs: dist(results.map((r) => r.promoteMs)),
    fleetStatusAfterLeaseExpiry: {
      rows: rows.length,
      missing: rows.filter((x) => x.missing).length,
      stale: rows.filter((x) => x.stale).length,
    },
    machine: { loadavgBefore: l0, loadavgAfter: l1, cpuBusy: round(busy(c0, c1), 2) },
    samples: results,
  };
  process.stdout.write(`${JSON.stringify({ ...takeover, samples: undefined })}\n`);
} finally {
  await Promise.all(pairs.map((p) => p.pair.stopAll()));
  await etcd.stop();
  for (const p of pairs) rmSync(p.dir, { recursive: true, force: true });
}

const run = {
  date: new Date().toISOString(),
  commit: execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
  config: {
    heartbeat: 'default profile (200 ms, dead 2 s)',
    leaseTtl: LEASE_TTL,
    fenceDelay,
    prefix: PREFIX,
  },
  machine: {
    cpus: cpus().length,
    memTotalGiB: round(totalmem() / 2 ** 30, 1),
    memFreeGiBAtEnd: round(freemem() / 2 ** 30, 1),
    loadavgStart: loadStart,
    loadavgEnd: loadavg(),
    note: 'shared with other agents; etcd members, daemons and simulators all on these cores',
  },
  steady,
  capacity: probe,
  takeover,
};
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
const runs = (typeof previous.runs === 'object' && previous.runs !== null ? previous.runs : {}) as Record<
  string,
  unknown
>;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      benchmark:
        'etcd arbiter at scale: N local pairs (real daemons, simulated DRBD) on one three-member etcd; steady-state etcd cost per pair, simultaneous loss of the Primary in many pairs',
      method:
        'bench/arbiter-scale.ts (header comment); etcd figures are deltas of its own /metrics summed over the members',
      runs: { ...runs, [label]: run },
    },
    null,
    2,
  )}\n`,
);
