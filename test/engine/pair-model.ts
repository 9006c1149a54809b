/**
 * A deliberately small two-node world for the engine's property tests: two engines, a heartbeat link,
 * a replication link, crashes, fence handlers that may fail, stale heartbeat reports, and just enough
 * DRBD behaviour (refuses a second Primary while connected, refuses a non-UpToDate promote, resyncs on
 * reconnect, detects split-brain). Not the cluster simulator (test/cluster-sim/ comes later): executor
 * steps succeed instantly, and each step's effects are applied before the other node decides.
 */
import type { DrbdDeviceState } from '../../src/drbd/types.js';
import type { NodeReport } from '../../src/membership/node-report.js';
import type {
  Action,
  ActionResultObservation,
  EngineMemory,
  EnginePolicy,
  Observation,
  PeerRequest,
} from '../../src/engine/index.js';
import { decide, initialMemory } from '../../src/engine/index.js';

export type NodeId = 'alpha' | 'bravo';

export interface NodeState {
  up: boolean;
  role: 'Primary' | 'Secondary';
  disk: 'UpToDate' | 'Outdated';
  /** Data generation: bumped by every acknowledged write while Primary. */
  version: number;
  /** The version this node last had in common with the peer (a connection synced them). */
  syncedVersion: number;
  memory: EngineMemory;
  startMs: number;
  results: ActionResultObservation[];
  requests: PeerRequest[];
  splitBrain: boolean;
  /** Reports this node heard from its peer, oldest first (membership may deliver stale ones). */
  reports: NodeReport[];
  /** Operator intents on this node (the daemon clears a switchover once its target is Primary). */
  switchTo: NodeId | null;
  standby: boolean;
}

export interface World {
  nowMs: number;
  /** Heartbeats arrive at this node from its peer (per direction: one-way cuts are adversarial). */
  hears: Record<NodeId, boolean>;
  repl: boolean;
  fenceFails: boolean;
  /** How many reports back the peers' views lag (adversarial staleness). */
  staleness: number;
  nodes: Record<NodeId, NodeState>;
  /** Highest version acknowledged to an application so far. */
  ackedVersion: number;
  violations: string[];
  promotions: number;
  /** Reason codes decided, with counts (coverage of the schedules). */
  reasons: Map<string, number>;
}

export type Event =
  | { kind: 'cut-hb' }
  | { kind: 'cut-hb-to'; node: NodeId }
  | { kind: 'heal-hb' }
  | { kind: 'cut-repl' }
  | { kind: 'heal-repl' }
  | { kind: 'crash'; node: NodeId }
  | { kind: 'boot'; node: NodeId }
  | { kind: 'fence-fails'; value: boolean }
  | { kind: 'stale'; value: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'write' }
  | { kind: 'switchover'; at: NodeId; to: NodeId }
  | { kind: 'standby'; node: NodeId; value: boolean };

const other = (n: NodeId): NodeId => (n === 'alpha' ? 'bravo' : 'alpha');

function freshNode(nowMs: number, role: 'Primary' | 'Secondary'): NodeState {
  return {
    up: true,
    role,
    disk: 'UpToDate',
    version: 0,
    syncedVersion: 0,
    memory: initialMemory(),
    startMs: nowMs,
    results: [],
    requests: [],
    splitBrain: false,
    reports: [],
    switchTo: null,
    standby: false,
  };
}

export function newWorld(
  roles: Record<NodeId, 'Primary' | 'Secondary'> = { alpha: 'Primary', bravo: 'Secondary' },
): World {
  return {
    nowMs: 0,
    hears: { alpha: true, bravo: true },
    repl: true,
    fenceFails: false,
    staleness: 0,
    nodes: { alpha: freshNode(0, roles.alpha), bravo: freshNode(0, roles.bravo) },
    ackedVersion: 0,
    violations: [],
    promotions: 0,
    reasons: new Map(),
  };
}

function connected(w: World): boolean {
  return w.repl && w.nodes.alpha.up && w.nodes.bravo.up && !w.nodes.alpha.splitBrain;
}

function reportOf(n: NodeState): NodeReport {
  return {
    resources: [
      {
        name: 'r0',
        role: n.role,
        disk: n.disk,
        cstate: 'Connected',
        peerDisk: 'UpToDate',
        mounted: n.role === 'Primary',
        servicesUp: n.role === 'Primary',
        splitBrain: n.splitBrain,
        currentUuid: null,
        lastPrimary: n.memory.resources.r0?.lastPrimary ?? null,
      },
    ],
    standby: n.standby,
    maintenance: false,
    health: 'ok',
  };
}

function observe(w: World, id: NodeId): Observation {
  const me = w.nodes[id];
  const peer = w.nodes[other(id)];
  const reachable = w.hears[id] && peer.up;
  const linked = connected(w);
  const heard = me.reports;
  const report = heard.length === 0 ? null : (heard[Math.max(0, heard.length - 1 - w.staleness)] ?? null);
  const drbd: DrbdDeviceState = {
    minor: 1,
    resource: 'r0',
    volume: 0,
    cstate: me.splitBrain ? 'StandAlone' : linked ? 'Connected' : 'WFConnection',
    role: me.role,
    peerRole: linked ? peer.role : 'Unknown',
    disk: me.disk,
    peerDisk: linked ? peer.disk : 'DUnknown',
    protocol: 'C',
    ioFlags: null,
    outOfSyncKiB: null,
    syncPercent: null,
    syncEtaSeconds: null,
    suspended: false,
  };
  return {
    nowMs: w.nowMs,
    self: id,
    drbdAvailable: true,
    resources: [
      {
        name: 'r0',
        drbd,
        mounted: me.role === 'Primary',
        servicesUp: me.role === 'Primary',
        splitBrain: me.splitBrain,
        currentUuid: null,
        drbdFencing: 'resource-and-stonith',
      },
    ],
    peer: {
      name: other(id),
      reachable,
      everHeard: heard.length > 0,
      links: [{ name: 'hb0', up: reachable }],
      report: report,
      lastHeardMs: heard.length > 0 ? w.nowMs : null,
    },
    intents: {
      switchovers: me.switchTo === null ? [] : [{ resource: 'r0', to: me.switchTo }],
      standby: me.standby,
      maintenance: false,
    },
    peerRequests: reachable ? me.requests : [],
    results: me.results,
    inFlight: [],
    stalled: false,
    startup: { daemonStartMs: me.startMs, degradedShutdown: false },
  };
}

function result(w: World, a: Action, ok: boolean): ActionResultObservation {
  return {
    kind: a.kind,
    resource: a.kind === 'fence-peer' ? null : a.kind === 'notify' ? a.resource : a.resource,
    outcome: ok ? 'ok' : 'failed',
    retrySafe: true,
    atMs: w.nowMs,
    errorKind: ok ? null : 'model',
  };
}

/** Runs one engine step on one node: observe, decide, execute the plan until the first failure. */
export function stepNode(w: World, id: NodeId, policy: EnginePolicy): Action[] {
  const me = w.nodes[id];
  if (!me.up) return [];
  const peerId = other(id);
  const peer = w.nodes[peerId];
  const obs = observe(w, id);
  const out = decide(obs, me.memory, policy);
  me.memory = out.memory;
  w.reasons.set(out.decision.reason, (w.reasons.get(out.decision.reason) ?? 0) + 1);
  me.results = [];
  me.requests = [];
  for (const a of out.decision.plan) {
    let ok = true;
    switch (a.kind) {
      case 'promote': {
        const linked = connected(w);
        if (me.disk !== 'UpToDate' || (linked && peer.role === 'Primary')) ok = false;
        else {
          if (me.version < w.ackedVersion) {
            w.violations.push(`stale promote of ${id}: version ${me.version} < acked ${w.ackedVersion}`);
          }
          me.role = 'Primary';
          w.promotions++;
        }
        break;
      }
      case 'demote':
        me.role = 'Secondary';
        break;
      case 'fence-peer':
        if (w.fenceFails) ok = false;
        else {
          peer.up = false;
          peer.role = 'Secondary';
        }
        break;
      case 'outdate-peer':
        // Delivered over the heartbeat link to the peer's daemon, which outdates a Secondary disk.
        if (w.hears[peerId] && peer.up && peer.role !== 'Primary') peer.disk = 'Outdated';
        else ok = false;
        break;
      case 'outdate-local':
        if (me.role !== 'Primary') me.disk = 'Outdated';
        break;
      case 'request-peer-release':
      case 'request-peer-takeover':
        if (w.hears[peerId] && peer.up) {
          peer.requests.push({
            kind: a.kind === 'request-peer-release' ? 'release' : 'takeover',
            resource: 'r0',
            atMs: w.nowMs,
          });
        } else ok = false;
        break;
      default:
        break;
    }
    if (a.kind !== 'notify') me.results.push(result(w, a, ok));
    if (!ok) break;
  }
  return [...out.decision.plan];
}

/** DRBD's own background behaviour after every event: resync or split-brain on reconnect, reports. */
export function settle(w: World): void {
  const a = w.nodes.alpha;
  const b = w.nodes.bravo;
  if (connected(w)) {
    const aAhead = a.version > a.syncedVersion;
    const bAhead = b.version > b.syncedVersion;
    if (aAhead && bAhead) {
      a.splitBrain = true;
      b.splitBrain = true;
    } else {
      const src = a.version >= b.version ? a : b;
      const dst = src === a ? b : a;
      if (src.disk === 'UpToDate') {
        dst.version = src.version;
        dst.disk = 'UpToDate';
      }
      a.syncedVersion = Math.max(a.version, b.version);
      b.syncedVersion = a.syncedVersion;
    }
  }
  for (const n of [a, b]) {
    if (n.switchTo !== null && w.nodes[n.switchTo].role === 'Primary') n.switchTo = null;
  }
  if (a.role === 'Primary' && b.role === 'Primary' && a.up && b.up) {
    w.violations.push(`two primaries at ${w.nowMs}`);
  }
  if (w.hears.bravo && a.up) b.reports.push(reportOf(a));
  if (w.hears.alpha && b.up) a.reports.push(reportOf(b));
}

/** Applies an event to the world. */
export function applyEvent(w: World, e: Event): void {
  switch (e.kind) {
    case 'cut-hb':
      w.hears = { alpha: false, bravo: false };
      break;
    case 'heal-hb':
      w.hears = { alpha: true, bravo: true };
      break;
    case 'cut-hb-to':
      w.hears = { ...w.hears, [e.node]: false };
      break;
    case 'cut-repl':
      w.repl = false;
      break;
    case 'heal-repl':
      w.repl = true;
      break;
    case 'crash': {
      const n = w.nodes[e.node];
      n.up = false;
      n.role = 'Secondary';
      break;
    }
    case 'boot': {
      const n = w.nodes[e.node];
      if (n.up) break;
      Object.assign(n, {
        up: true,
        role: 'Secondary',
        memory: initialMemory(),
        startMs: w.nowMs,
        results: [],
        requests: [],
        reports: [],
      });
      // A new incarnation: the peer's membership drops reports of the old one (replay protection).
      w.nodes[other(e.node)].reports = [];
      break;
    }
    case 'fence-fails':
      w.fenceFails = e.value;
      break;
    case 'switchover':
      w.nodes[e.at].switchTo = e.to;
      break;
    case 'standby':
      w.nodes[e.node].standby = e.value;
      break;
    case 'stale':
      w.staleness = e.value;
      break;
    case 'advance':
      w.nowMs += e.ms;
      break;
    case 'write': {
      // An application write on the Primary, acknowledged only when protocol C replicates it or the peer's
      // disk is Outdated: DRBD's resource fencing freezes I/O until the fence-peer handler has outdated the
      // peer (a model assumption; a peer that is merely down keeps its UpToDate flag, so I/O stays frozen).
      for (const id of ['alpha', 'bravo'] as const) {
        const n = w.nodes[id];
        const p = w.nodes[other(id)];
        if (!n.up || n.role !== 'Primary') continue;
        const linked = connected(w);
        if (linked || p.disk !== 'UpToDate') {
          n.version++;
          if (linked) p.version = n.version;
          if (linked) {
            n.syncedVersion = n.version;
            p.syncedVersion = n.version;
          }
          w.ackedVersion = Math.max(w.ackedVersion, n.version);
        }
      }
      break;
    }
  }
}

/** Runs a schedule: after each event both engines decide (in the given order) and DRBD settles. */
export function run(
  events: readonly Event[],
  policy: EnginePolicy,
  order: readonly boolean[],
  w: World = newWorld(),
): World {
  settle(w);
  events.forEach((e, i) => {
    applyEvent(w, e);
    settle(w);
    const first: NodeId = order[i % Math.max(order.length, 1)] === true ? 'alpha' : 'bravo';
    stepNode(w, first, policy);
    settle(w);
    stepNode(w, other(first), policy);
    settle(w);
  });
  return w;
}
