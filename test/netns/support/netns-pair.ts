/**
 * The netns tier's one setup: a drbd-sentinel pair (simulated DRBD + real daemon per node) on a fresh
 * two-namespace network, started until one node serves r0 and the other is its UpToDate Secondary, with a
 * double-Primary monitor running for the whole test, acknowledged-write bookkeeping and a final write
 * check. Cleans up (processes, namespaces, working directory) whatever happens, and prints the tail of
 * both daemons' logs when the test body fails.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { StatusSnapshot } from '../../../src/control/index.js';
import {
  LocalPair,
  resourceOf,
  servesResource,
  sleep,
  type PairHost,
  type PairOptions,
} from '../../../src/demo/pair.js';
import type { EtcdCluster } from '../../support/etcd-cluster.js';
import { createTwoNodeNetwork, type TwoNodeNetwork } from '../../support/netns.js';
import { startNetnsEtcd } from './netns-etcd.js';

export const HEARTBEAT_PORT = 7790;
export const REPLICATION_PORT = 7788;
/** The pair's default dead time (heartbeat options below); scenarios freeze for less and for more than this. */
export const DEADTIME_MS = 1_000;

const root = resolve(import.meta.dirname, '..', '..', '..');

export type NodeIndex = 0 | 1;

export interface NetnsPairOptions {
  readonly fencing?: PairOptions['fencing'];
  readonly drbdFencing?: PairOptions['drbdFencing'];
  readonly fenceHandler?: PairOptions['fenceHandler'];
  readonly fenceDelay?: string;
  /** Turns on both daemons' metrics endpoint at this `HOST:PORT` (inside each namespace). */
  readonly metrics?: PairOptions['metrics'];
  /**
   * Heartbeat dead time (default DEADTIME_MS). The outdate request over the heartbeat links is given
   * about 2 x deadtime, and the simulator's drbdadm costs a node start per call (0.3 s idle, 1 s+ on a
   * loaded 2-core machine), so scenarios that need it answered use a longer one.
   */
  readonly deadtimeMs?: number;
  /** Heartbeat interval (default 100 ms). */
  readonly intervalMs?: number;
  /** Runs on the fresh network before any process starts (e.g. NAT rules for a fault relay). */
  readonly beforeStart?: (net: TwoNodeNetwork) => Promise<void>;
  /** The split-brain scenario produces two Primaries on purpose: record them, do not fail on them. */
  readonly allowDualPrimary?: boolean;
  /** Working directory of the pair (default: a fresh one under the system temp dir); kept on failure. */
  readonly dir?: string;
  /** Extra environment for every process of node `i` (e.g. a preloaded fake clock). */
  readonly nodeEnv?: (i: NodeIndex) => Readonly<Record<string, string>>;
  /**
   * A real etcd of `members` in a namespace of its own, on a link of its own to each node
   * (`net.arbiter`), started before the daemons; both configs get `arbiter:` with its endpoints.
   */
  readonly arbiter?: {
    readonly members: 1 | 3;
    /** Default 5s: the arbiter tests wait for lease expiry; etcd's own minimum is 2 s. */
    readonly leaseTtl?: string;
    readonly timeout?: string;
    readonly takeoverMargin?: string;
    readonly onIsolation?: 'demote' | 'reboot';
  };
  /** Period of the double-Primary monitor's samples (default 200 ms). */
  readonly sampleMs?: number;
}

export interface NetnsPair {
  readonly net: TwoNodeNetwork;
  readonly pair: LocalPair;
  /** The etcd cluster of `options.arbiter` (its logs: `<dir>/etcd-m<i>.log`); null without one. */
  readonly etcd: EtcdCluster | null;
  /** The node serving r0 once the pair settled, and its Secondary. */
  readonly primary: NodeIndex;
  readonly secondary: NodeIndex;
  /** Every write id any node acknowledged during the test. */
  readonly acked: Set<string>;
  /** Times both nodes were seen Primary at once (daemon status or DRBD's own /proc/drbd). */
  readonly dualPrimarySamples: string[];
  /**
   * Application writes on node `i` through `sim write`; returns how many were acknowledged. `waitMs` bounds
   * the wait for each acknowledgement (the simulator's default when absent), e.g. while DRBD freezes I/O.
   */
  write(i: NodeIndex, count: number, waitMs?: number): Promise<number>;
  /** The write ids node `i`'s disk holds. */
  held(i: NodeIndex): Promise<Set<string>>;
  /** Waits until `predicate` holds on the latest statuses of both nodes. */
  waitFor(
    what: string,
    predicate: (a: StatusSnapshot | null, b: StatusSnapshot | null) => boolean,
    timeoutMs?: number,
  ): Promise<readonly [StatusSnapshot | null, StatusSnapshot | null]>;
  /** Waits for a steady pair (one serves r0, the other is its UpToDate Connected Secondary); returns who serves. */
  waitSteady(timeoutMs?: number): Promise<NodeIndex>;
  /** Notify payloads node `i`'s hook received so far. */
  notifications(i: NodeIndex): Array<{ event: string; reason?: string; resource?: string | null }>;
  /** Daemon log lines of node `i` parsed as JSON (non-JSON lines dropped). */
  daemonLog(i: NodeIndex): Array<Record<string, unknown>>;
  /** Every acknowledged write is on the disk of the node that serves r0 now; throws otherwise. */
  checkWrites(): Promise<void>;
}

/** DRBD's own role of node `i` from the simulator's /proc/drbd, null when its DRBD is not running. */
function drbdRole(pair: LocalPair, i: NodeIndex): string | null {
  if (!pair.running(i, 'drbd')) return null;
  try {
    return /\bro:(\w+)\//.exec(readFileSync(join(pair.paths[i].simDir, 'proc-drbd'), 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

function tail(path: string, lines: number): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Steady: one node serves r0, the other is its UpToDate, Connected Secondary. */
export function steadyServer(a: StatusSnapshot | null, b: StatusSnapshot | null): NodeIndex | null {
  const secondaryOk = (s: StatusSnapshot | null) => {
    const r = resourceOf(s);
    return r?.role === 'Secondary' && r.disk === 'UpToDate' && r.cstate === 'Connected';
  };
  if (servesResource(a) && secondaryOk(b)) return 0;
  if (servesResource(b) && secondaryOk(a)) return 1;
  return null;
}

/**
 * Runs `body` against a fresh pair on a fresh network. After the body: the double-Primary monitor must
 * have seen none (unless allowed). Always tears everything down.
 */
export async function withNetnsPair(
  name: string,
  options: NetnsPairOptions,
  body: (p: NetnsPair) => Promise<void>,
): Promise<void> {
  const net = createTwoNodeNetwork({ links: 2, arbiter: options.arbiter !== undefined });
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `drbd-sentinel-netns-${name}-`));
  let etcd: EtcdCluster | null = null;
  try {
    if (options.arbiter !== undefined && net.arbiter !== null)
      etcd = await startNetnsEtcd(net.arbiter, options.arbiter.members, dir);
  } catch (e) {
    net.destroy();
    throw e;
  }
  const arbiter = options.arbiter;
  const nodeEnv = options.nodeEnv;
  const hosts = nodeEnv
    ? net.hosts.map((h, i): PairHost => ({
        name: h.name,
        addresses: h.addresses,
        spawn: (argv, o) =>
          h.spawn(argv, { ...o, env: { ...(o.env ?? process.env), ...nodeEnv(i as NodeIndex) } }),
      }))
    : net.hosts;
  const pair = new LocalPair({
    dir,
    hosts: [hosts[0]!, hosts[1]!],
    cliPath: join(root, 'dist', 'cli.js'),
    simScripts: join(root, 'scripts', 'sim'),
    heartbeatPort: HEARTBEAT_PORT,
    replicationPort: REPLICATION_PORT,
    ...(options.fencing ? { fencing: options.fencing } : {}),
    ...(options.drbdFencing ? { drbdFencing: options.drbdFencing } : {}),
    ...(options.fenceHandler ? { fenceHandler: options.fenceHandler } : {}),
    ...(options.fenceDelay ? { fenceDelay: options.fenceDelay } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(etcd !== null && arbiter !== undefined
      ? {
          arbiter: {
            endpoints: etcd.endpoints,
            leaseTtl: arbiter.leaseTtl ?? '5s',
            ...(arbiter.timeout ? { timeout: arbiter.timeout } : {}),
            ...(arbiter.takeoverMargin ? { takeoverMargin: arbiter.takeoverMargin } : {}),
            ...(arbiter.onIsolation ? { onIsolation: arbiter.onIsolation } : {}),
          },
        }
      : {}),
    heartbeat: {
      interval: `${options.intervalMs ?? 100}ms`,
      deadtime: `${options.deadtimeMs ?? DEADTIME_MS}ms`,
      warntime: `${Math.round((options.deadtimeMs ?? DEADTIME_MS) / 2)}ms`,
      initdead: '10s',
    },
  });
  const acked = new Set<string>();
  const dualPrimarySamples: string[] = [];
  let monitoring = true;
  const sampleMs = options.sampleMs ?? 200;

  // SAFETY: rule 1 (two primaries): DRBD's own role, sampled every `sampleMs` from both simulators...
  const drbdSampler = setInterval(() => {
    const roles = [drbdRole(pair, 0), drbdRole(pair, 1)];
    if (roles[0] === 'Primary' && roles[1] === 'Primary')
      dualPrimarySamples.push(`${new Date().toISOString()} DRBD: both Primary`);
  }, sampleMs);
  // ...and the daemons' view, both asked in the same round.
  const statusSampler = (async () => {
    while (monitoring) {
      const [a, b] = await Promise.all([pair.status(0), pair.status(1)]);
      if (resourceOf(a)?.role === 'Primary' && resourceOf(b)?.role === 'Primary')
        dualPrimarySamples.push(`${new Date().toISOString()} daemons: both report Primary`);
      await sleep(sampleMs);
    }
  })();

  const waitFor: NetnsPair['waitFor'] = (what, predicate, timeoutMs = 60_000) =>
    pair.waitFor(what, predicate, timeoutMs);
  const waitSteady = async (timeoutMs = 60_000): Promise<NodeIndex> => {
    const [a, b] = await waitFor(
      'one node serves r0, the other is its UpToDate Connected Secondary',
      (x, y) => steadyServer(x, y) !== null,
      timeoutMs,
    );
    return steadyServer(a, b) as NodeIndex;
  };
  const held = async (i: NodeIndex) => {
    const r = await pair.cli(i, ['sim', 'history', '--dir', pair.paths[i].simDir], 30_000);
    if (r.status !== 'ok') throw new Error(`sim history on ${pair.nodeName(i)}: ${r.status}`);
    return new Set((JSON.parse(r.stdout) as { held: string[] }).held);
  };

  let failed = false;
  try {
    pair.prepare();
    await options.beforeStart?.(net);
    pair.startDrbd(0);
    pair.startDrbd(1);
    pair.startDaemon(0);
    pair.startDaemon(1);
    const primary = await waitSteady(60_000);
    const secondary = (1 - primary) as NodeIndex;
    const ctx: NetnsPair = {
      net,
      pair,
      etcd,
      primary,
      secondary,
      acked,
      dualPrimarySamples,
      async write(i, count, waitMs) {
        const r = await pair.cli(i, [
          'sim',
          'write',
          '--dir',
          pair.paths[i].simDir,
          '--count',
          String(count),
          ...(waitMs === undefined ? [] : ['--wait-ms', String(waitMs)]),
        ]);
        let n = 0;
        if (r.status === 'ok' || r.status === 'failed')
          for (const l of r.stdout.split('\n'))
            if (l.startsWith('acked ')) {
              acked.add(l.slice(6));
              n += 1;
            }
        return n;
      },
      held,
      waitFor,
      waitSteady,
      notifications(i) {
        const f = pair.paths[i].notifyLog;
        if (!existsSync(f)) return [];
        return readFileSync(f, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as { event: string; reason?: string });
      },
      daemonLog(i) {
        const f = join(pair.paths[i].root, 'daemon.log');
        if (!existsSync(f)) return [];
        const out: Array<Record<string, unknown>> = [];
        for (const l of readFileSync(f, 'utf8').split('\n'))
          try {
            out.push(JSON.parse(l) as Record<string, unknown>);
          } catch {
            // not a log line
          }
        return out;
      },
      async checkWrites() {
        const [a, b] = await waitFor('a node serves r0', (x, y) => servesResource(x) || servesResource(y));
        const server: NodeIndex = servesResource(a) ? 0 : 1;
        void b;
        const disk = await held(server);
        const lost = [...acked].filter((id) => !disk.has(id));
        if (lost.length > 0)
          throw new Error(
            `${lost.length} of ${acked.size} acknowledged writes are not on ${pair.nodeName(server)}, which serves r0: ${lost.slice(0, 10).join(', ')}`,
          );
      },
    };
    await body(ctx);
    if (!options.allowDualPrimary && dualPrimarySamples.length > 0)
      throw new Error(`two Primaries at once:\n${dualPrimarySamples.slice(0, 10).join('\n')}`);
  } catch (e) {
    failed = true;
    for (const i of [0, 1] as const) {
      const nodeRoot = pair.paths[i].root;
      process.stderr.write(
        `\n--- ${pair.nodeName(i)} daemon.log (tail) ---\n${tail(join(nodeRoot, 'daemon.log'), 40)}\n` +
          `--- ${pair.nodeName(i)} drbd.log (tail) ---\n${tail(join(nodeRoot, 'drbd.log'), 15)}\n`,
      );
    }
    if (etcd !== null)
      process.stderr.write(`--- etcd-m0.log (tail) ---\n${tail(join(dir, 'etcd-m0.log'), 15)}\n`);
    process.stderr.write(`(working directory kept: ${dir})\n`);
    throw e;
  } finally {
    monitoring = false;
    clearInterval(drbdSampler);
    for (const i of [0, 1] as const)
      for (const kind of ['daemon', 'drbd'] as const) pair.signal(i, kind, 'SIGCONT');
    await statusSampler.catch(() => undefined);
    await pair.stopAll().catch(() => undefined);
    await etcd?.stop().catch(() => undefined);
    net.destroy();
    if (!failed) rmSync(dir, { recursive: true, force: true });
  }
}

export { resourceOf, servesResource, sleep };
