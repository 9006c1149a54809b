/**
 * The state of one simulated DRBD 8.4 node (one resource, one volume) and its observation API; the behaviour
 * lives in the layers above it (events2, writes, fencing, resync, connection, state machine) and SimNode
 * (node.ts) is the last of them. Everything runs on an injected Clock and a seeded RNG, so a pair of nodes on a
 * VirtualClock is deterministic per seed. Effects leave only through the PeerTransport, the fence-peer
 * handler and the listeners.
 */
import type { Clock } from '../common/clock.js';
import type { ConnectionState, DiskState, Role } from '../drbd/types.js';
import { LINKED_CONNECTION_STATES } from '../drbd/types.js';
import type { Events2Record } from './events2-format.js';
import type { SeededRng } from './rng.js';
import type { StateError } from './state-errors.js';
import type { PeerMessage, PeerTransport, SimMetadata, SimNodeConfig, SimWrite } from './types.js';
import { UUID_JUST_CREATED, UUID_ZERO, type GenerationIds } from './uuid-rules.js';

/** What the node reports to whoever keeps the cluster's history (the write checker). */
export type NodeHistoryEvent =
  | { readonly kind: 'write-accepted'; readonly write: SimWrite }
  | { readonly kind: 'write-acked'; readonly id: string; readonly atMs: number }
  | { readonly kind: 'write-failed'; readonly id: string; readonly atMs: number }
  | { readonly kind: 'role'; readonly role: Role; readonly atMs: number }
  | { readonly kind: 'disk-replaced'; readonly writes: readonly string[]; readonly atMs: number }
  | { readonly kind: 'crash'; readonly atMs: number }
  | { readonly kind: 'log'; readonly text: string; readonly atMs: number };

export interface SimNodeDeps {
  readonly clock: Clock;
  readonly rng: SeededRng;
  readonly transport: PeerTransport;
  /** Wall-clock milliseconds for events2 timestamps. */
  readonly wallNowMs: () => number;
}

/** Fresh metadata: `create-md` (just created) or a disk already in sync with its peer. */
export function freshMetadata(initialCurrentUuid: string | null): SimMetadata {
  return {
    uuids: {
      current: initialCurrentUuid ?? UUID_JUST_CREATED,
      bitmap: UUID_ZERO,
      history: [UUID_ZERO, UUID_ZERO],
    },
    consistent: initialCurrentUuid !== null,
    outdated: false,
    peerOutdated: false,
    crashedPrimary: false,
    fullSyncNeeded: false,
    bitmap: [],
    writes: [],
    diskBroken: false,
    al: [],
  };
}

export interface SyncRun {
  readonly role: 'source' | 'target';
  readonly verify: boolean;
  readonly totalBlocks: number;
  leftBlocks: number;
  readonly startedMs: number;
  /**
   * Writes this SyncTarget stored during the sync (its own application's and the source's replicated
   * ones): they are on its disk whatever the source's final list says, since a write marks its block in
   * sync and the resync never overwrites it.
   */
  readonly storedDuring: string[];
}

export interface Session {
  readonly id: number;
  peerParams: Extract<PeerMessage, { t: 'params' }> | null;
  decided: boolean;
  awaitingParams: boolean;
  lastPongMs: number;
  sync: SyncRun | null;
  pendingPromote: { id: number; resolve: (r: 'ok' | 'lost' | StateError) => void } | null;
  pendingDisconnect: { iOutdate: boolean; outdateYou: boolean; resolve: () => void } | null;
}

export const BLOCK_KIB = 4;
/** Extent updates the on-disk activity-log ring remembers (64 transactions of 64 updates). */
export const AL_RING_EXTENTS = 4096;
export const SYNC_TICK_MS = 200;

export interface Visible {
  resource: { role: string; suspended: string } | null;
  connection: { connection: string; role: string } | null;
  device: { disk: string } | null;
  peerDevice: { replication: string; 'peer-disk': string } | null;
}

/** The node's state and its read-only views; cross-layer steps are declared here and defined above. */
export abstract class SimNodeBase {
  /** Replaced (never mutated) by `reconfigure`, like `drbdadm adjust` with a changed file. */
  config: SimNodeConfig;
  protected readonly deps: SimNodeDeps;
  /** Persistent: survives crash and restart. */
  md: SimMetadata;
  protected bitmap: Set<number>;
  protected writeSet: Set<string>;

  powered = true;
  up = false;
  netConfigured = false;
  role: Role = 'Secondary';
  cstate: ConnectionState = 'StandAlone';
  disk: DiskState = 'Diskless';
  peerDisk: DiskState = 'DUnknown';
  peerRole: Role = 'Unknown';
  suspFen = false;
  suspUser = false;
  /** DRBD's AL_SUSPENDED flag (last /proc/drbd I/O flag): set by an attach of fresh or crashed metadata. */
  alSuspended = false;
  /** Mount points and holders that keep the device open. */
  readonly mounts = new Set<string>();
  holds = 0;

  protected epoch = 0;
  protected frozen = false;
  protected frozenQueue: (() => void)[] = [];
  protected session: Session | null = null;
  protected sessionCounter = 0;
  protected newCurUuidPending = false;
  protected discardMyData = false;
  protected fenceRunning = false;
  protected writeSeq = 0;
  protected promoteSeq = 0;
  /** Replicated writes sent and not yet acknowledged by the peer, in order. */
  protected readonly pending = new Map<string, SimWrite>();
  /** Writes submitted while I/O is suspended. */
  protected queued: SimWrite[] = [];
  protected readonly acked = new Set<string>();
  protected readonly ackWaiters = new Map<string, (ok: boolean) => void>();
  protected readonly al = new Set<number>();
  readonly counters = { ns: 0, nr: 0, dw: 0, dr: 0, al: 0, bm: 0 };

  protected visible: Visible = { resource: null, connection: null, device: null, peerDevice: null };
  protected readonly subscribers = new Set<(rec: Events2Record) => void>();
  protected readonly historyListeners = new Set<(e: NodeHistoryEvent) => void>();
  /** Every events2 record since power-on, for in-process readers (bounded). */
  readonly eventLog: Events2Record[] = [];
  /** Kernel-log-like lines (split-brain messages, fence results), bounded. */
  readonly kernelLog: string[] = [];

  constructor(config: SimNodeConfig, deps: SimNodeDeps, md: SimMetadata) {
    this.config = config;
    this.deps = deps;
    this.md = md;
    this.bitmap = new Set(md.bitmap);
    this.writeSet = new Set(md.writes);
  }

  /** Changes configuration (e.g. net timings); takes effect for new timers and connections. */
  reconfigure(changes: Partial<Omit<SimNodeConfig, 'name' | 'peerName' | 'resource' | 'minor'>>): void {
    this.config = { ...this.config, ...changes };
  }

  // ---------------------------------------------------------------- observation

  /** Metadata snapshot (deep copy) as it would be on disk now. */
  metadata(): SimMetadata {
    return {
      ...this.md,
      uuids: { ...this.md.uuids, history: [...this.md.uuids.history] },
      bitmap: [...this.bitmap].sort((a, b) => a - b),
      writes: [...this.md.writes],
    };
  }

  /** Ids of the writes this node's disk holds. */
  heldWrites(): readonly string[] {
    return this.md.writes;
  }

  /** Ids of the writes this node acknowledged to its application since power-on. */
  ackedWrites(): readonly string[] {
    return [...this.acked];
  }

  /** Role read through a method: async steps may change it behind TypeScript's narrowing. */
  isPrimary(): boolean {
    return this.role === 'Primary';
  }

  get openCount(): number {
    return this.mounts.size + this.holds;
  }

  get linked(): boolean {
    return LINKED_CONNECTION_STATES.has(this.cstate);
  }

  get suspended(): boolean {
    return this.suspFen || this.suspUser;
  }

  /** Out-of-sync KiB as DRBD reports it (`oos:`). */
  oosKiB(): number {
    const s = this.session?.sync;
    if (s && !s.verify) return Math.max(0, Math.round(s.leftBlocks)) * BLOCK_KIB;
    return this.bitmap.size * BLOCK_KIB;
  }

  /** The running resync or verify, for /proc/drbd's progress lines. */
  syncProgress(): { verify: boolean; totalKiB: number; leftKiB: number; speedKiBps: number } | null {
    const s = this.session?.sync;
    if (!s) return null;
    return {
      verify: s.verify,
      totalKiB: s.totalBlocks * BLOCK_KIB,
      leftKiB: Math.max(0, Math.round(s.leftBlocks)) * BLOCK_KIB,
      speedKiBps: s.verify ? this.config.verifyRateKiBps : this.config.resyncRateKiBps,
    };
  }

  pendingCount(): number {
    return this.pending.size + this.queued.length;
  }

  onHistory(listener: (e: NodeHistoryEvent) => void): () => void {
    this.historyListeners.add(listener);
    return () => this.historyListeners.delete(listener);
  }

  // ---------------------------------------------------------------- timers

  protected timer(ms: number, fn: () => void): () => void {
    const epoch = this.epoch;
    return this.deps.clock.setTimer(ms, () => {
      if (this.epoch !== epoch || !this.powered) return;
      if (this.frozen) this.frozenQueue.push(fn);
      else fn();
    });
  }

  /** Whether the node is frozen (SIGSTOP of the machine): nothing runs until `thaw`. */
  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Freezes the whole node: timers and arriving messages wait, in order, until `thaw`. */
  freeze(): void {
    if (this.powered) this.frozen = true;
  }

  /** Resumes a frozen node: everything that came due meanwhile runs now, in arrival order. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    const q = this.frozenQueue;
    this.frozenQueue = [];
    for (const fn of q) if (this.powered) fn();
  }

  /** Runs `fn` now, or queues it while frozen. */
  protected whenRunning(fn: () => void): boolean {
    if (!this.frozen) return false;
    this.frozenQueue.push(fn);
    return true;
  }

  // Steps defined by the layers above, used by the ones below them.
  protected abstract setPeerDisk(next: DiskState): void;
  protected abstract setDisk(disk: DiskState): void;
  protected abstract setUuids(u: GenerationIds): void;
  protected abstract newCurrentUuid(): void;
  protected abstract syncMd(): void;
  abstract diskIo(): boolean;
  protected abstract toStandAlone(): void;
  protected abstract dropSession(kind: ConnectionState, peerDiskAfterArg?: DiskState): void;
  protected abstract connectionLost(kind: ConnectionState, peerDiskAfter?: DiskState): void;
}
