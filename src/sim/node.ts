/**
 * One simulated DRBD 8.4 node (one resource, one volume): the behaviour model's core. Everything
 * runs on an injected Clock and a seeded RNG, so a pair of nodes on a VirtualClock is deterministic
 * per seed. Effects leave only through the PeerTransport, the fence-peer handler and the listeners.
 */
import type { Clock } from '../common/clock.js';
import type { ConnectionState, DiskState, Role } from '../drbd/types.js';
import { LINKED_CONNECTION_STATES } from '../drbd/types.js';
import type { Events2Record, Field } from './events2-format.js';
import type { SeededRng } from './rng.js';
import { derivedFlags, sanitizeDiskStates } from './state-rules.js';
import {
  configFailure,
  ERR,
  SETUP_OK,
  SS,
  stateFailure,
  type SetupOutcome,
  type StateError,
} from './state-errors.js';
import type { PeerMessage, PeerTransport, SimMetadata, SimNodeConfig, SimWrite } from './types.js';
import {
  decideHandshake,
  diskRank,
  UUID_JUST_CREATED,
  UUID_ZERO,
  type GenerationIds,
  type HandshakeSide,
} from './uuid-rules.js';

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

interface SyncRun {
  readonly role: 'source' | 'target';
  readonly verify: boolean;
  readonly totalBlocks: number;
  leftBlocks: number;
  readonly startedMs: number;
}

interface Session {
  readonly id: number;
  peerParams: Extract<PeerMessage, { t: 'params' }> | null;
  decided: boolean;
  awaitingParams: boolean;
  lastPongMs: number;
  sync: SyncRun | null;
  pendingPromote: { id: number; resolve: (r: 'ok' | 'lost' | StateError) => void } | null;
  pendingDisconnect: { iOutdate: boolean; outdateYou: boolean; resolve: () => void } | null;
}

const BLOCK_KIB = 4;
/** Extent updates the on-disk activity-log ring remembers (64 transactions of 64 updates). */
const AL_RING_EXTENTS = 4096;
const SYNC_TICK_MS = 200;

/** Events2 connection names for 8.4 connection states (8.4's WFConnection is "Connecting"). */
function events2Connection(cs: ConnectionState): string {
  if (cs === 'WFConnection') return 'Connecting';
  if (cs === 'WFReportParams' || LINKED_CONNECTION_STATES.has(cs)) return 'Connected';
  return cs;
}

function events2Replication(cs: ConnectionState): string {
  if (cs === 'Connected') return 'Established';
  if (LINKED_CONNECTION_STATES.has(cs)) return cs;
  return 'Off';
}

interface Visible {
  resource: { role: string; suspended: string } | null;
  connection: { connection: string; role: string } | null;
  device: { disk: string } | null;
  peerDevice: { replication: string; 'peer-disk': string } | null;
}

/** A simulated DRBD node. Methods with a drbdsetup counterpart return a SetupOutcome. */
export class SimNode {
  /** Replaced (never mutated) by `reconfigure`, like `drbdadm adjust` with a changed file. */
  config: SimNodeConfig;
  private readonly deps: SimNodeDeps;
  /** Persistent: survives crash and restart. */
  md: SimMetadata;
  private bitmap: Set<number>;
  private writeSet: Set<string>;

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

  private epoch = 0;
  private frozen = false;
  private frozenQueue: (() => void)[] = [];
  private session: Session | null = null;
  private sessionCounter = 0;
  private newCurUuidPending = false;
  private discardMyData = false;
  private fenceRunning = false;
  private writeSeq = 0;
  private promoteSeq = 0;
  /** Replicated writes sent and not yet acknowledged by the peer, in order. */
  private readonly pending = new Map<string, SimWrite>();
  /** Writes submitted while I/O is suspended. */
  private queued: SimWrite[] = [];
  private readonly acked = new Set<string>();
  private readonly ackWaiters = new Map<string, (ok: boolean) => void>();
  private readonly al = new Set<number>();
  readonly counters = { ns: 0, nr: 0, dw: 0, dr: 0, al: 0, bm: 0 };

  private visible: Visible = { resource: null, connection: null, device: null, peerDevice: null };
  private readonly subscribers = new Set<(rec: Events2Record) => void>();
  private readonly historyListeners = new Set<(e: NodeHistoryEvent) => void>();
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

  /** Subscribes to events2 records as they happen (a running `drbdsetup events2`). */
  subscribe(listener: (rec: Events2Record) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** The `exists` records of `events2 --now` (closing `exists -` included). */
  existsRecords(): Events2Record[] {
    const at = this.deps.wallNowMs();
    const out: Events2Record[] = [];
    if (this.up) {
      out.push(this.record('exists', 'resource', this.resourceFields(), true, at));
      if (this.netConfigured)
        out.push(this.record('exists', 'connection', this.connectionFields(), true, at));
      out.push(this.record('exists', 'device', this.deviceFields(), true, at));
      if (this.netConfigured)
        out.push(this.record('exists', 'peer-device', this.peerDeviceFields(), true, at));
    }
    out.push({ atWallMs: at, verb: 'exists', object: '-', ids: [], state: [], stats: [], statsTail: [] });
    return out;
  }

  // ---------------------------------------------------------------- events2 plumbing

  private ids(object: Events2Record['object']): Field[] {
    const r = this.config.resource;
    switch (object) {
      case 'resource':
        return [['name', r]];
      case 'connection':
        return [
          ['name', r],
          ['peer-node-id', '0'],
          ['conn-name', 'peer'],
        ];
      case 'device':
        return [
          ['name', r],
          ['volume', '0'],
          ['minor', String(this.config.minor)],
        ];
      case 'peer-device':
        return [
          ['name', r],
          ['peer-node-id', '0'],
          ['conn-name', 'peer'],
          ['volume', '0'],
        ];
      case 'helper':
      case '-':
        return [];
    }
  }

  private resourceFields(): Field[] {
    return [
      ['role', this.role],
      ['suspended', this.suspFen ? 'fencing' : this.suspUser ? 'user' : 'no'],
    ];
  }
  private connectionFields(): Field[] {
    return [
      ['connection', events2Connection(this.cstate)],
      ['role', this.linked ? this.peerRole : 'Unknown'],
    ];
  }
  private deviceFields(): Field[] {
    return [['disk', this.disk]];
  }
  private peerDeviceFields(): Field[] {
    return [
      ['replication', events2Replication(this.cstate)],
      ['peer-disk', this.peerDisk],
    ];
  }

  private statsOf(object: Events2Record['object']): { stats: Field[]; tail: Field[] } {
    const c = this.counters;
    switch (object) {
      case 'resource':
        return { stats: [], tail: [['write-ordering', 'flush']] };
      case 'connection':
        return { stats: [], tail: [['congested', 'no']] };
      case 'device':
        return {
          stats: [
            [
              'size',
              String(this.disk === 'Diskless' && this.md.writes.length === 0 ? 0 : this.config.sizeKiB),
            ],
            ['read', String(c.dr)],
            ['written', String(c.dw)],
            ['al-writes', String(c.al)],
            ['bm-writes', String(c.bm)],
            ['upper-pending', '0'],
            ['lower-pending', '0'],
          ],
          tail: [
            ['al-suspended', 'no'],
            ['blocked', 'no'],
          ],
        };
      case 'peer-device':
        return {
          stats: [
            ['received', String(c.nr)],
            ['sent', String(c.ns)],
            ['out-of-sync', String(this.oosKiB())],
            ['pending', String(this.pending.size)],
            ['unacked', '0'],
          ],
          tail: [],
        };
      case 'helper':
      case '-':
        return { stats: [], tail: [] };
    }
  }

  private record(
    verb: Events2Record['verb'],
    object: Events2Record['object'],
    state: Field[],
    full: boolean,
    at = this.deps.wallNowMs(),
  ): Events2Record {
    const { stats, tail } = this.statsOf(object);
    // resync-suspended is a state field DRBD prints only in full (exists/create) lines.
    const st = full && object === 'peer-device' ? [...state, ['resync-suspended', 'no'] as Field] : state;
    return {
      atWallMs: at,
      verb,
      object,
      ids: this.ids(object),
      state: st,
      stats: verb === 'destroy' ? [] : stats,
      statsTail: full ? tail : [],
    };
  }

  private publish(rec: Events2Record): void {
    this.eventLog.push(rec);
    if (this.eventLog.length > 20000) this.eventLog.splice(0, 5000);
    for (const s of [...this.subscribers]) s(rec);
  }

  private log(text: string): void {
    this.kernelLog.push(text);
    if (this.kernelLog.length > 2000) this.kernelLog.splice(0, 500);
    this.emitHistory({ kind: 'log', text, atMs: this.deps.clock.nowMs() });
  }

  private emitHistory(e: NodeHistoryEvent): void {
    for (const l of [...this.historyListeners]) l(e);
  }

  /**
   * DRBD's implicit rules on every state change (state-rules.ts): the connection state implies disk
   * states, and the metadata flags follow the new state.
   */
  private sanitize(): void {
    if (!this.up) return;
    const next = sanitizeDiskStates({ cstate: this.cstate, disk: this.disk, peerDisk: this.peerDisk });
    if (next.cstate !== this.cstate) {
      // A resync or verify ends when a disk fails or detaches.
      this.cstate = next.cstate;
      if (this.session) this.session.sync = null;
    }
    this.disk = next.disk;
    if (next.peerDisk !== this.peerDisk) this.setPeerDisk(next.peerDisk);
    const flags = derivedFlags(this.disk, this.peerDisk);
    if (flags) {
      this.md.consistent = flags.consistent;
      this.md.outdated = flags.outdated;
      this.md.peerOutdated = flags.peerOutdated;
    }
  }

  /** Emits events2 records for every visible change since the last commit. */
  private commit(): void {
    if (!this.powered) return;
    this.sanitize();
    const next: Visible = {
      resource: this.up ? (Object.fromEntries(this.resourceFields()) as Visible['resource']) : null,
      connection:
        this.up && this.netConfigured
          ? (Object.fromEntries(this.connectionFields()) as Visible['connection'])
          : null,
      device: this.up ? (Object.fromEntries(this.deviceFields()) as Visible['device']) : null,
      peerDevice:
        this.up && this.netConfigured
          ? (Object.fromEntries(this.peerDeviceFields()) as Visible['peerDevice'])
          : null,
    };
    const prev = this.visible;
    const at = this.deps.wallNowMs();
    const diff = (a: Record<string, string>, b: Record<string, string>): Field[] =>
      Object.keys(b)
        .filter((k) => a[k] !== b[k])
        .map((k) => [k, b[k] ?? ''] as Field);
    const step = (
      object: 'resource' | 'connection' | 'device' | 'peer-device',
      a: Record<string, string> | null,
      b: Record<string, string> | null,
    ): Events2Record | null => {
      if (a === null && b !== null) return this.record('create', object, Object.entries(b), true, at);
      if (a !== null && b !== null) {
        const d = diff(a, b);
        return d.length > 0 ? this.record('change', object, d, false, at) : null;
      }
      return null;
    };
    const recs: (Events2Record | null)[] = [
      step('resource', prev.resource, next.resource),
      step('device', prev.device, next.device),
      step('connection', prev.connection, next.connection),
      step('peer-device', prev.peerDevice, next.peerDevice),
    ];
    // DRBD orders a combined change resource, connection, device, peer-device; creation order of
    // `up` is resource, device, connection, peer-device. Keep creation order for creates.
    const creates = recs.filter((r): r is Events2Record => r !== null && r.verb === 'create');
    const changes = recs.filter((r): r is Events2Record => r !== null && r.verb === 'change');
    const order = ['resource', 'connection', 'device', 'peer-device'];
    changes.sort((x, y) => order.indexOf(x.object) - order.indexOf(y.object));
    // Destroys: peer-device, connection (when the net config goes), device, resource (down).
    const destroys: Events2Record[] = [];
    if (prev.peerDevice && !next.peerDevice)
      destroys.push(this.record('destroy', 'peer-device', [], false, at));
    if (prev.connection && !next.connection)
      destroys.push(this.record('destroy', 'connection', [], false, at));
    if (prev.device && !next.device) destroys.push(this.record('destroy', 'device', [], false, at));
    if (prev.resource && !next.resource) destroys.push(this.record('destroy', 'resource', [], false, at));
    this.visible = next;
    for (const r of [...changes, ...destroys, ...creates]) this.publish(r);
  }

  /** An empty change line, as DRBD prints for intermediate states (e.g. after NetworkFailure). */
  private emitEmpty(object: 'connection' | 'peer-device'): void {
    if (this.netConfigured) this.publish(this.record('change', object, [], false));
  }

  private helperFields(withDevice: boolean): Field[] {
    const f: Field[] = [
      ['name', this.config.resource],
      ['peer-node-id', '0'],
      ['conn-name', 'peer'],
    ];
    if (withDevice) f.push(['volume', '0'], ['minor', String(this.config.minor)]);
    return f;
  }

  /** `call helper` + `response helper` for a handler DRBD runs and that we model as instant exit 0. */
  private helper(name: string, withDevice = true): void {
    const at = this.deps.wallNowMs();
    const ids = this.helperFields(withDevice);
    this.publish({
      atWallMs: at,
      verb: 'call',
      object: 'helper',
      ids,
      state: [['helper', name]],
      stats: [],
      statsTail: [],
    });
    this.publish({
      atWallMs: at,
      verb: 'response',
      object: 'helper',
      ids,
      state: [
        ['helper', name],
        ['status', '0'],
      ],
      stats: [],
      statsTail: [],
    });
  }

  // ---------------------------------------------------------------- timers

  private timer(ms: number, fn: () => void): () => void {
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
  private whenRunning(fn: () => void): boolean {
    if (!this.frozen) return false;
    this.frozenQueue.push(fn);
    return true;
  }

  // ---------------------------------------------------------------- UUIDs and metadata

  private setUuids(u: GenerationIds): void {
    this.md.uuids = { current: u.current, bitmap: u.bitmap, history: [u.history[0], u.history[1]] };
  }

  /** DRBD's `drbd_uuid_new_current`: the current UUID moves to the bitmap slot. */
  private newCurrentUuid(): void {
    const u = this.md.uuids;
    if (u.bitmap !== UUID_ZERO) this.log(`bm UUID was already set: ${u.bitmap}`);
    this.setUuids({ current: this.deps.rng.uuid(), bitmap: u.current, history: u.history });
    this.log('Creating new current UUID');
  }

  private syncMd(): void {
    this.md.bitmap = [...this.bitmap];
  }

  private setDisk(disk: DiskState): void {
    this.disk = disk;
    if (disk === 'UpToDate') {
      this.md.consistent = true;
      this.md.outdated = false;
    } else if (disk === 'Outdated') {
      this.md.consistent = true;
      this.md.outdated = true;
    } else if (disk === 'Inconsistent') {
      this.md.consistent = false;
    }
  }

  /** The "lost contact to the peer's copy of the data" rule: a new current UUID on the Primary side. */
  private onPeerDiskChange(old: DiskState, next: DiskState): void {
    const had = diskRank(old) >= diskRank('Inconsistent') && old !== 'DUnknown' && old !== 'Outdated';
    const lost = diskRank(next) < diskRank('Inconsistent') || next === 'DUnknown' || next === 'Outdated';
    // Also lost: a peer unknown since a frozen link loss that turns out Outdated or diskless.
    const unknownThenGone =
      old === 'DUnknown' && (next === 'Diskless' || next === 'Failed' || next === 'Outdated');
    if (!(had && lost) && !unknownThenGone) return;
    if (
      (this.role === 'Primary' || this.peerRole === 'Primary') &&
      this.md.uuids.bitmap === UUID_ZERO &&
      this.disk === 'UpToDate'
    ) {
      if (this.suspended) this.newCurUuidPending = true;
      else this.newCurrentUuid();
    }
  }

  private setPeerDisk(next: DiskState): void {
    const old = this.peerDisk;
    this.peerDisk = next;
    this.onPeerDiskChange(old, next);
  }

  // ---------------------------------------------------------------- lifecycle: up / down / crash

  /** `drbdsetup new-resource + new-minor + attach + connect` (drbdadm up). */
  upResource(): SetupOutcome {
    const m = String(this.config.minor);
    if (!this.powered) return configFailure(m, ERR.MINOR_INVALID);
    if (this.up) return configFailure(m, ERR.DISK_CONFIGURED);
    this.up = true;
    this.role = 'Secondary';
    this.disk = 'Diskless';
    this.cstate = 'StandAlone';
    this.netConfigured = false;
    this.commit();
    const a = this.attach();
    if (a.exitCode !== 0) return a;
    const c = this.connect(false);
    return c.exitCode !== 0 ? c : a;
  }

  /** `drbdsetup attach`: the disk state comes from the metadata flags (DRBD's attach rules). */
  attach(): SetupOutcome {
    const m = String(this.config.minor);
    if (!this.up) return configFailure(m, ERR.MINOR_INVALID);
    if (this.disk !== 'Diskless') return configFailure(m, ERR.DISK_CONFIGURED);
    if (this.md.diskBroken) {
      const off = (this.config.sizeKiB + 40) * 1024 - 4096;
      return {
        exitCode: 10,
        stdout: '',
        stderr: `pread(5,...,4096,${off}) in v08_md_disk_to_cpu failed: Input/output error\nCommand 'drbdmeta ${m} v08 ${this.config.backingDevice} internal apply-al' terminated with exit code 10\n`,
      };
    }
    this.disk = 'Attaching';
    this.commit();
    let stderr = '';
    this.alSuspended = this.md.uuids.current === UUID_JUST_CREATED;
    if (this.md.crashedPrimary && this.md.al.length > 0) {
      // A Primary that lost power: the activity-log extents may differ from the peer.
      const blocksPerExtent = 1024;
      const maxBlock = Math.floor(this.config.sizeKiB / BLOCK_KIB);
      for (const e of this.md.al)
        for (let b = e * blocksPerExtent; b < (e + 1) * blocksPerExtent && b < maxBlock; b++)
          this.bitmap.add(b);
      this.syncMd();
      stderr = `Marked additional ${ppsize(this.md.al.length * 4096)} as out-of-sync based on AL.\n`;
      this.alSuspended = true;
    }
    if (this.linked) {
      this.disk = 'Negotiating';
      this.commit();
    }
    let disk: DiskState;
    if (this.md.fullSyncNeeded || !this.md.consistent) disk = 'Inconsistent';
    else if (this.md.outdated) disk = 'Outdated';
    else disk = 'Consistent';
    if (this.md.peerOutdated && !this.linked) this.peerDisk = 'Outdated';
    if (disk === 'Consistent' && (this.peerDisk === 'Outdated' || this.config.fencing === 'dont-care'))
      disk = 'UpToDate';
    this.disk = disk;
    if (this.md.fullSyncNeeded) {
      for (let b = 0; b < this.config.sizeKiB / BLOCK_KIB; b++) this.bitmap.add(b);
      this.syncMd();
    }
    if (this.linked && this.session) {
      // Renegotiate with the peer, as DRBD does when a disk attaches to a connected device.
      this.session.decided = false;
      this.session.awaitingParams = true;
      this.sendParams();
      return { exitCode: 0, stdout: '', stderr };
    }
    this.commit();
    return { exitCode: 0, stdout: '', stderr };
  }

  /** `drbdadm create-md --force`: fresh metadata (just-created UUID, Inconsistent); data blocks stay. */
  createMetadata(): SetupOutcome {
    if (this.up) return { exitCode: 20, stdout: '', stderr: 'Device is configured!\n' };
    const writes = this.md.writes;
    this.md = { ...freshMetadata(null), writes: [...writes] };
    this.bitmap = new Set();
    return { exitCode: 0, stdout: '', stderr: 'New drbd meta data block successfully created.\n' };
  }

  /** `drbdsetup detach` / on-io-error detach: Failed, then Diskless. */
  detach(reason: 'admin' | 'io-error'): SetupOutcome {
    const m = String(this.config.minor);
    if (!this.up || this.disk === 'Diskless') return SETUP_OK;
    if (reason === 'admin' && this.role === 'Primary' && !(this.linked && this.peerDisk === 'UpToDate'))
      return stateFailure(m, SS.NO_UP_TO_DATE_DISK);
    if (this.session?.sync) this.abortSync();
    this.disk = 'Failed';
    this.md.fullSyncNeeded = true;
    this.md.consistent = false;
    this.commit();
    this.sendState();
    this.disk = 'Diskless';
    this.commit();
    this.sendState();
    if (reason === 'io-error') this.log('Local IO failed in drbd_md_sync_page_io. Detaching...');
    // Pending local writes of a Primary without any disk now fail.
    if (this.role === 'Primary' && !(this.linked && this.peerDisk === 'UpToDate')) this.failAllPending();
    return SETUP_OK;
  }

  /** `drbdsetup down`: demote, disconnect, detach, delete the minor. */
  async down(): Promise<SetupOutcome> {
    const r = this.config.resource;
    if (!this.up) return SETUP_OK;
    if (this.role === 'Primary') {
      const d = await this.demote();
      if (d.exitCode !== 0)
        return {
          exitCode: d.exitCode,
          stdout: '',
          stderr:
            d.stderr.replace(`${this.config.minor}: `, `${r}: `) +
            'additional info from kernel:\nfailed to demote\n',
        };
    }
    await this.disconnect();
    if (this.disk !== 'Diskless') {
      this.disk = 'Failed';
      this.commit();
      this.disk = 'Diskless';
      this.commit();
    }
    this.up = false;
    this.md.crashedPrimary = false;
    this.commit();
    return SETUP_OK;
  }

  /** Power loss: memory is gone, metadata and disk contents stay; the peer notices only by timeout. */
  crash(): void {
    if (!this.powered) return;
    const now = this.deps.clock.nowMs();
    this.epoch++;
    for (const [id] of this.pending) this.resolveWaiter(id, false);
    for (const w of this.queued) this.resolveWaiter(w.id, false);
    this.syncMd();
    this.powered = false;
    this.frozen = false;
    this.frozenQueue = [];
    this.session = null;
    this.deps.transport.setListening(false);
    this.resetVolatile();
    this.subscribers.clear();
    this.emitHistory({ kind: 'crash', atMs: now });
  }

  /** Power on after a crash: DRBD is not configured yet (`drbdadm up` brings it up). */
  powerOn(): void {
    if (this.powered) return;
    this.powered = true;
    this.epoch++;
    this.resetVolatile();
    this.eventLog.length = 0;
  }

  private resetVolatile(): void {
    this.up = false;
    this.netConfigured = false;
    this.role = 'Secondary';
    this.cstate = 'StandAlone';
    this.disk = 'Diskless';
    this.peerDisk = 'DUnknown';
    this.peerRole = 'Unknown';
    this.suspFen = false;
    this.suspUser = false;
    this.alSuspended = false;
    this.mounts.clear();
    this.holds = 0;
    this.pending.clear();
    this.queued = [];
    this.acked.clear();
    this.newCurUuidPending = false;
    this.discardMyData = false;
    this.fenceRunning = false;
    this.visible = { resource: null, connection: null, device: null, peerDevice: null };
    for (const k of Object.keys(this.counters) as (keyof typeof this.counters)[]) this.counters[k] = 0;
  }

  /**
   * The backing disk starts failing. Like DRBD, the node notices at its next disk I/O (a write, a
   * replicated write, a read), then on-io-error detach makes the disk Failed, then Diskless;
   * `detectNow` notices at once (as if I/O were running).
   */
  failDisk(detectNow = false): void {
    this.md.diskBroken = true;
    if (detectNow) this.diskIo();
  }

  /** A local disk I/O: detaches when the backing disk fails. Returns whether the disk is usable. */
  diskIo(): boolean {
    if (!this.powered || !this.up || this.disk === 'Diskless') return false;
    if (this.md.diskBroken) {
      this.detach('io-error');
      return false;
    }
    return true;
  }

  /** A replaced / repaired backing disk (needs `drbdadm attach` and a full resync). */
  repairDisk(): void {
    this.md.diskBroken = false;
  }

  // ---------------------------------------------------------------- connection management

  /** `drbdsetup connect` (optionally `--discard-my-data`). */
  connect(discardMyData: boolean): SetupOutcome {
    if (!this.up) return configFailure(String(this.config.minor), ERR.MINOR_INVALID);
    if (this.netConfigured) return configFailure(this.config.resource, ERR.NET_CONFIGURED);
    this.discardMyData = discardMyData;
    this.netConfigured = true;
    this.cstate = 'StandAlone';
    this.peerDisk = this.md.peerOutdated ? 'Outdated' : 'DUnknown';
    this.peerRole = 'Unknown';
    this.commit();
    this.cstate = 'Unconnected';
    this.commit();
    this.cstate = 'WFConnection';
    this.commit();
    this.deps.transport.setListening(true);
    return SETUP_OK;
  }

  /**
   * `drbdsetup disconnect`. While connected it is a cluster-wide state change: it waits for the
   * peer's answer, or for the connection to be declared lost (so it blocks on a dead link).
   */
  async disconnect(): Promise<SetupOutcome> {
    if (!this.up || !this.netConfigured) return SETUP_OK;
    const s = this.session;
    if (s && (this.linked || this.cstate === 'WFReportParams')) {
      const fencing = this.config.fencing !== 'dont-care';
      const iOutdate =
        fencing && this.role === 'Secondary' && this.peerRole === 'Primary' && this.disk !== 'Diskless';
      const outdateYou = fencing && this.role === 'Primary' && this.peerRole === 'Secondary';
      await new Promise<void>((resolve) => {
        s.pendingDisconnect = { iOutdate, outdateYou, resolve };
        this.deps.transport.send(s.id, { t: 'disconnect-req', outdateYou, iOutdated: iOutdate });
      });
    }
    if (!this.netConfigured) return SETUP_OK;
    if (this.session) this.dropSession('Disconnecting');
    this.cstate = 'Disconnecting';
    this.commit();
    this.toStandAlone();
    return SETUP_OK;
  }

  private toStandAlone(): void {
    this.cstate = 'StandAlone';
    this.commit();
    this.netConfigured = false;
    this.deps.transport.setListening(false);
    this.commit();
  }

  /** Called by the transport when a session to the peer is established. */
  onSessionUp(sid: number): void {
    if (this.whenRunning(() => this.onSessionUp(sid))) return;
    if (!this.powered || !this.up || this.cstate !== 'WFConnection' || this.session) {
      this.deps.transport.close(sid);
      return;
    }
    this.sessionCounter++;
    this.session = {
      id: sid,
      peerParams: null,
      decided: false,
      awaitingParams: false,
      lastPongMs: this.deps.clock.nowMs(),
      sync: null,
      pendingPromote: null,
      pendingDisconnect: null,
    };
    this.deps.transport.setListening(false);
    this.alSuspended = false;
    this.cstate = 'WFReportParams';
    this.commit();
    this.sendParams();
    this.schedulePing(sid);
  }

  /** Called by the transport when the peer closed the session (FIN/RST). */
  onSessionClosed(sid: number): void {
    if (this.whenRunning(() => this.onSessionClosed(sid))) return;
    if (this.session?.id !== sid) return;
    this.connectionLost('NetworkFailure');
  }

  private schedulePing(sid: number): void {
    this.timer(this.config.pingIntMs, () => {
      const s = this.session;
      if (!s || s.id !== sid) return;
      const sentAt = this.deps.clock.nowMs();
      this.deps.transport.send(sid, { t: 'ping' });
      this.timer(this.config.pingTimeoutMs, () => {
        if (this.session !== s) return;
        if (s.lastPongMs < sentAt) {
          this.log('PingAck did not arrive in time.');
          this.connectionLost('NetworkFailure');
        } else this.schedulePing(sid);
      });
    });
  }

  /**
   * Ends the session: `kind` is the transient connection state shown (NetworkFailure, TearDown...).
   * The peer's disk stays Inconsistent or Outdated if it was (DRBD only forgets better states),
   * unless `peerDiskAfter` says what the peer agreed to.
   */
  private dropSession(kind: ConnectionState, peerDiskAfterArg?: DiskState): void {
    const s = this.session;
    if (!s) return;
    const peerDiskAfter =
      peerDiskAfterArg ??
      (this.peerDisk === 'Inconsistent' || this.peerDisk === 'Outdated' ? this.peerDisk : 'DUnknown');
    this.session = null;
    this.deps.transport.close(s.id);
    if (s.sync && s.sync.role === 'target' && !s.sync.verify) this.log('resync aborted');
    s.pendingPromote?.resolve('lost');
    s.pendingDisconnect?.resolve();
    const fencing = this.config.fencing;
    this.cstate = kind;
    this.peerRole = 'Unknown';
    if (
      fencing === 'resource-and-stonith' &&
      this.role === 'Primary' &&
      diskRank(peerDiskAfter) > diskRank('Outdated')
    )
      this.suspFen = true; // SAFETY-relevant DRBD rule: I/O freezes while the fence-peer handler runs.
    this.setPeerDisk(peerDiskAfter);
    this.commit();
    // Replicated writes without the peer's ack complete locally unless I/O is frozen.
    if (!this.suspended) this.completePendingLocally();
    this.emitEmpty('connection');
    this.emitEmpty('peer-device');
  }

  /** The connection to the peer broke (ping timeout, peer closed, peer tore down). */
  private connectionLost(kind: ConnectionState, peerDiskAfter?: DiskState): void {
    if (!this.session) return;
    const disconnecting = this.session.pendingDisconnect !== null;
    this.dropSession(kind, peerDiskAfter);
    if (disconnecting) {
      // An administrative disconnect was waiting for the peer: it completes now.
      this.cstate = 'Disconnecting';
      this.commit();
      this.toStandAlone();
      return;
    }
    this.cstate = 'Unconnected';
    this.commit();
    this.cstate = 'WFConnection';
    this.commit();
    this.deps.transport.setListening(true);
    if (
      this.role === 'Primary' &&
      this.config.fencing !== 'dont-care' &&
      diskRank(this.peerDisk) >= diskRank('DUnknown')
    )
      void this.tryOutdatePeer();
  }

  private sendParams(): void {
    const s = this.session;
    if (!s) return;
    this.deps.transport.send(s.id, {
      t: 'params',
      name: this.config.name,
      uuids: this.md.uuids,
      disk: this.disk,
      role: this.role,
      crashedPrimary: this.md.crashedPrimary && this.role !== 'Primary',
      discardMyData: this.discardMyData,
      changedBlocks: this.bitmap.size,
      bitmap: [...this.bitmap],
    });
  }

  private sendState(): void {
    const s = this.session;
    if (s && (this.linked || this.cstate === 'WFReportParams'))
      this.deps.transport.send(s.id, { t: 'state', role: this.role, disk: this.disk });
  }

  /** Called by the transport for every message of session `sid`. */
  onMessage(sid: number, msg: PeerMessage): void {
    if (!this.powered) return;
    if (this.whenRunning(() => this.onMessage(sid, msg))) return;
    const s = this.session;
    if (!s || s.id !== sid) {
      // A message for a session we do not know: answer like a TCP RST.
      this.deps.transport.close(sid);
      return;
    }
    switch (msg.t) {
      case 'ping':
        this.deps.transport.send(sid, { t: 'pong' });
        return;
      case 'pong':
        s.lastPongMs = this.deps.clock.nowMs();
        return;
      case 'params': {
        s.peerParams = msg;
        if (s.decided) {
          // The peer renegotiates (its disk attached): answer with ours, then decide again.
          s.decided = false;
          this.sendParams();
        }
        s.awaitingParams = false;
        this.decide(s);
        return;
      }
      case 'state': {
        this.peerRole = msg.role;
        this.setPeerDisk(msg.disk);
        this.commit();
        return;
      }
      case 'write':
        this.receiveWrite(s, msg.write);
        return;
      case 'write-ack':
        this.onWriteAck(msg.id);
        return;
      case 'sync-begin':
        this.onSyncBegin(s, msg.full, msg.totalBlocks, msg.verify);
        return;
      case 'sync-done':
        this.onSyncDone(s, msg.writes, msg.uuids, msg.verify);
        return;
      case 'promote-req': {
        let reason = 0;
        if (this.role === 'Primary' && !this.config.allowTwoPrimaries) reason = SS.TWO_PRIMARIES.code;
        else if (s.pendingPromote && this.config.name < this.config.peerName)
          reason = SS.CONCURRENT_ST_CHG.code;
        else if (!this.linked) reason = SS.IN_TRANSIENT_STATE.code;
        if (reason === 0) {
          this.peerRole = 'Primary';
          this.commit();
        }
        this.deps.transport.send(sid, { t: 'promote-reply', id: msg.id, ok: reason === 0, reason });
        return;
      }
      case 'promote-reply': {
        const p = s.pendingPromote;
        if (!p || p.id !== msg.id) return;
        s.pendingPromote = null;
        if (msg.ok) p.resolve('ok');
        else p.resolve(Object.values(SS).find((e) => e.code === msg.reason) ?? SS.CONCURRENT_ST_CHG);
        return;
      }
      case 'disconnect-req': {
        if (msg.outdateYou && this.disk !== 'Diskless') this.setDisk('Outdated');
        this.deps.transport.send(sid, { t: 'disconnect-ack' });
        this.connectionLost('TearDown', msg.iOutdated ? 'Outdated' : undefined);
        return;
      }
      case 'disconnect-ack': {
        // The peer agreed: finish the graceful disconnect now, before its FIN can arrive.
        const d = s.pendingDisconnect;
        if (!d) return;
        s.pendingDisconnect = null;
        if (d.iOutdate) this.setDisk('Outdated');
        this.dropSession('Disconnecting', d.outdateYou ? 'Outdated' : undefined);
        this.toStandAlone();
        d.resolve();
        return;
      }
    }
  }

  // ---------------------------------------------------------------- handshake and resync

  private mySide(): HandshakeSide {
    return {
      uuids: this.md.uuids,
      disk: this.disk === 'Negotiating' ? this.negotiatedDisk() : this.disk,
      role: this.role,
      crashedPrimary: this.md.crashedPrimary && this.role !== 'Primary',
      discardMyData: this.discardMyData,
      changedBlocks: this.bitmap.size,
    };
  }

  private negotiatedDisk(): DiskState {
    if (this.md.fullSyncNeeded || !this.md.consistent) return 'Inconsistent';
    return this.md.outdated ? 'Outdated' : 'Consistent';
  }

  private decide(s: Session): void {
    const p = s.peerParams;
    if (!p || s.decided || s.awaitingParams) return;
    s.decided = true;
    const peerSide: HandshakeSide = {
      uuids: p.uuids,
      disk: p.disk,
      role: p.role,
      crashedPrimary: p.crashedPrimary,
      discardMyData: p.discardMyData,
      changedBlocks: p.changedBlocks,
    };
    if (this.disk === 'Diskless' || p.disk === 'Diskless') {
      // Nothing to compare: a diskless side simply connects.
      this.peerRole = p.role;
      this.cstate = 'Connected';
      this.peerDisk = p.disk;
      this.commit();
      this.afterConnected();
      return;
    }
    const resolveConflicts = this.config.name < this.config.peerName;
    const out = decideHandshake(this.mySide(), peerSide, resolveConflicts, this.config.afterSb);
    this.discardMyData = false;
    this.log(`uuid_compare()=${out.kind} by rule ${out.rule}`);
    switch (out.kind) {
      case 'unrelated':
      case 'abort':
      case 'split-brain': {
        if (out.kind === 'split-brain') {
          this.helper('initial-split-brain');
          this.log('Split-Brain detected but unresolved, dropping connection!');
          this.helper('split-brain');
        } else this.log(out.kind === 'abort' ? out.reason : 'Unrelated data, aborting!');
        if (this.disk === 'Negotiating') this.disk = this.negotiatedDisk();
        this.dropSession('Disconnecting', this.md.peerOutdated ? 'Outdated' : 'DUnknown');
        this.toStandAlone();
        return;
      }
      case 'no-sync': {
        if (out.initialSplitBrain) this.helper('initial-split-brain');
        this.peerRole = p.role;
        // Consistent and Outdated disks become UpToDate as the state turns Connected (sanitize).
        this.disk = this.disk === 'Negotiating' ? this.negotiatedDisk() : this.disk;
        this.peerDisk = p.disk;
        this.cstate = 'Connected';
        this.commit();
        this.afterConnected();
        return;
      }
      case 'sync': {
        if (out.initialSplitBrain) this.helper('initial-split-brain');
        if (out.resolvedSplitBrain) this.log(out.resolvedSplitBrain);
        this.peerRole = p.role;
        for (const b of p.bitmap) this.bitmap.add(b);
        if (out.role === 'source') {
          // WFBitMapS makes this disk UpToDate and caps the peer's at Consistent (sanitize).
          this.cstate = 'WFBitMapS';
          if (this.disk === 'Negotiating') this.disk = this.negotiatedDisk();
          this.peerDisk = p.disk;
          this.commit();
          this.helper('before-resync-source');
          const total = out.full ? Math.floor(this.config.sizeKiB / BLOCK_KIB) : this.bitmap.size;
          if (out.full) for (let b = 0; b < total; b++) this.bitmap.add(b);
          this.syncMd();
          this.cstate = 'SyncSource';
          this.commit();
          this.deps.transport.send(s.id, {
            t: 'sync-begin',
            full: out.full,
            totalBlocks: total,
            verify: false,
          });
          this.startSync(s, 'source', total, false);
        } else {
          // WFBitMapT caps this disk at Outdated and makes the peer's UpToDate (sanitize).
          this.cstate = 'WFBitMapT';
          if (this.disk === 'Negotiating') this.disk = this.negotiatedDisk();
          this.peerDisk = p.disk;
          this.commit();
        }
        this.afterConnected();
        return;
      }
    }
  }

  /** After the handshake: a fencing freeze ends when the connection is back. */
  private afterConnected(): void {
    if (this.suspFen) this.resumeIo('reconnected');
  }

  private onSyncBegin(s: Session, _full: boolean, total: number, verify: boolean): void {
    if (verify) {
      this.cstate = 'VerifyT';
      this.commit();
      this.startSync(s, 'target', total, true);
      return;
    }
    if (this.cstate !== 'WFBitMapT') {
      // A sync started by the peer (forced promotion) still passes WFBitMapT here.
      this.cstate = 'WFBitMapT';
      this.commit();
    }
    this.cstate = 'WFSyncUUID';
    this.commit();
    this.helper('before-resync-target');
    this.setDisk('Inconsistent');
    this.cstate = 'SyncTarget';
    this.commit();
    this.startSync(s, 'target', total, false);
  }

  private startSync(s: Session, role: 'source' | 'target', total: number, verify: boolean): void {
    s.sync = { role, verify, totalBlocks: total, leftBlocks: total, startedMs: this.deps.clock.nowMs() };
    const rate = verify ? this.config.verifyRateKiBps : this.config.resyncRateKiBps;
    const tick = () => {
      const run = s.sync;
      if (this.session !== s || !run) return;
      run.leftBlocks = Math.max(0, run.leftBlocks - (rate * SYNC_TICK_MS) / 1000 / BLOCK_KIB);
      if (run.leftBlocks <= 0 && role === 'source') {
        this.finishSyncAsSource(s, run);
        return;
      }
      this.timer(SYNC_TICK_MS, tick);
    };
    if (role === 'source' && total === 0) {
      // DRBD still goes through SyncSource for an empty bitmap, and finishes at once.
      this.timer(SYNC_TICK_MS / 2, () => {
        if (this.session === s && s.sync) this.finishSyncAsSource(s, s.sync);
      });
      return;
    }
    this.timer(SYNC_TICK_MS, tick);
  }

  private finishSyncAsSource(s: Session, run: SyncRun): void {
    s.sync = null;
    const blocksKiB = run.totalBlocks * BLOCK_KIB;
    if (run.verify) {
      this.cstate = 'Connected';
      this.commit();
      this.deps.transport.send(s.id, { t: 'sync-done', writes: [], uuids: this.md.uuids, verify: true });
      return;
    }
    this.counters.ns += blocksKiB;
    this.counters.dr += blocksKiB;
    const u = this.md.uuids;
    if (u.bitmap !== UUID_ZERO)
      this.setUuids({ current: u.current, bitmap: UUID_ZERO, history: [u.bitmap, u.history[0]] });
    this.bitmap.clear();
    this.syncMd();
    this.deps.transport.send(s.id, {
      t: 'sync-done',
      writes: [...this.md.writes],
      uuids: this.md.uuids,
      verify: false,
    });
    this.cstate = 'Connected';
    this.peerDisk = 'UpToDate';
    this.commit();
    if (this.config.fencing !== 'dont-care') this.helper('unfence-peer', false);
  }

  private onSyncDone(s: Session, writes: readonly string[], uuids: GenerationIds, verify: boolean): void {
    s.sync = null;
    if (verify) {
      this.cstate = 'Connected';
      this.commit();
      return;
    }
    const kib = this.oosKiB();
    this.counters.nr += kib;
    this.counters.dw += kib;
    this.md.writes = [...writes];
    this.writeSet = new Set(writes);
    this.emitHistory({ kind: 'disk-replaced', writes: this.md.writes, atMs: this.deps.clock.nowMs() });
    this.setUuids(uuids);
    this.bitmap.clear();
    this.syncMd();
    this.md.fullSyncNeeded = false;
    this.helper('after-resync-target');
    this.setDisk('UpToDate');
    this.cstate = 'Connected';
    this.commit();
  }

  private abortSync(): void {
    const s = this.session;
    if (s) s.sync = null;
  }

  /** `drbdsetup verify`: online verify from this node (we model equal data: nothing out of sync). */
  verify(): SetupOutcome {
    const m = String(this.config.minor);
    const s = this.session;
    if (this.config.verifyAlg === null) return stateFailure(m, SS.NO_VERIFY_ALG);
    if (!this.up || !s || !this.linked) return stateFailure(m, SS.NEED_CONNECTION);
    if (this.cstate !== 'Connected') return stateFailure(m, SS.RESYNC_RUNNING);
    if (this.disk !== 'UpToDate' || this.peerDisk !== 'UpToDate')
      return stateFailure(m, SS.NO_UP_TO_DATE_DISK);
    const total = Math.floor(this.config.sizeKiB / BLOCK_KIB);
    this.cstate = 'VerifyS';
    this.commit();
    this.deps.transport.send(s.id, { t: 'sync-begin', full: true, totalBlocks: total, verify: true });
    this.startSync(s, 'source', total, true);
    return SETUP_OK;
  }

  // ---------------------------------------------------------------- roles

  /**
   * `drbdsetup primary [--force]`, following DRBD's `drbd_set_role`: refusals in DRBD's order, the
   * fence-peer handler when fencing needs the peer outdated first, a cluster-wide request while
   * connected.
   */
  async promote(force: boolean): Promise<SetupOutcome> {
    const m = String(this.config.minor);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!this.powered || !this.up) return configFailure(m, ERR.MINOR_INVALID);
      if (this.role === 'Primary') return SETUP_OK;
      if (
        this.cstate === 'WFReportParams' ||
        this.cstate === 'WFBitMapS' ||
        this.cstate === 'WFBitMapT' ||
        this.cstate === 'WFSyncUUID'
      )
        return stateFailure(m, SS.IN_TRANSIENT_STATE);
      if (this.linked && this.peerRole === 'Primary' && !this.config.allowTwoPrimaries)
        return stateFailure(m, SS.TWO_PRIMARIES);
      let forced = false;
      if (this.disk !== 'UpToDate') {
        const peerHasData = this.linked && this.peerDisk === 'UpToDate';
        if (force && diskRank(this.disk) >= diskRank('Inconsistent') && !peerHasData) {
          forced = true;
        } else if (this.disk === 'Consistent' && !this.linked && this.config.fencing !== 'dont-care') {
          // drbd_set_role asks the handler again on each of its 4 tries while it does not fence the
          // peer (captured: four fence-peer calls before the refusal).
          let fenced = false;
          for (let t = 0; t < 4 && !fenced && this.disk === 'Consistent' && !this.linked; t++)
            fenced = await this.tryOutdatePeer();
          if (!fenced || this.disk !== 'Consistent') return stateFailure(m, SS.NO_UP_TO_DATE_DISK);
          this.setDisk('UpToDate');
        } else if (!peerHasData) return stateFailure(m, SS.NO_UP_TO_DATE_DISK);
      }
      if (
        !this.linked &&
        this.config.fencing !== 'dont-care' &&
        diskRank(this.peerDisk) >= diskRank('DUnknown')
      ) {
        const fenced = await this.tryOutdatePeer();
        if (!fenced) {
          if (this.disk !== 'UpToDate' && !forced) return stateFailure(m, SS.NO_UP_TO_DATE_DISK);
          if (!force) return stateFailure(m, SS.PRIMARY_NOP);
          this.log('Forced into split brain situation!');
          this.peerDisk = 'Outdated';
        }
      }
      if (this.linked && this.session) {
        const s = this.session;
        const id = ++this.promoteSeq;
        const r = await new Promise<'ok' | 'lost' | StateError>((resolve) => {
          s.pendingPromote = { id, resolve };
          this.deps.transport.send(s.id, { t: 'promote-req', id });
        });
        if (r === 'lost') continue;
        if (r !== 'ok') return stateFailure(m, r);
        if (!this.linked || this.isPrimary()) continue;
      }
      if (this.isPrimary()) return SETUP_OK;
      this.applyPrimary(forced);
      return SETUP_OK;
    }
    return stateFailure(m, SS.CONCURRENT_ST_CHG);
  }

  private applyPrimary(forced: boolean): void {
    if (forced) this.setDisk('UpToDate');
    this.role = 'Primary';
    this.md.crashedPrimary = true;
    if (
      ((!this.linked || diskRank(this.peerDisk) <= diskRank('Failed')) &&
        this.md.uuids.bitmap === UUID_ZERO) ||
      forced
    )
      this.newCurrentUuid();
    this.commit();
    this.emitHistory({ kind: 'role', role: 'Primary', atMs: this.deps.clock.nowMs() });
    this.sendState();
    if (
      forced &&
      this.linked &&
      this.session &&
      this.peerDisk === 'Inconsistent' &&
      this.cstate === 'Connected'
    ) {
      // A forced promotion of one Inconsistent side starts the initial full sync to the peer.
      const s = this.session;
      const total = Math.floor(this.config.sizeKiB / BLOCK_KIB);
      for (let b = 0; b < total; b++) this.bitmap.add(b);
      this.syncMd();
      this.cstate = 'WFBitMapS';
      this.commit();
      this.helper('before-resync-source');
      this.cstate = 'SyncSource';
      this.commit();
      this.deps.transport.send(s.id, { t: 'sync-begin', full: true, totalBlocks: total, verify: false });
      this.startSync(s, 'source', total, false);
    }
  }

  /**
   * `drbdsetup secondary`: refused while the device is open (mounted or held); like DRBD it first
   * waits for the application writes in flight (which may wait for a lost peer or a frozen fence).
   */
  async demote(): Promise<SetupOutcome> {
    const m = String(this.config.minor);
    if (!this.up) return configFailure(m, ERR.MINOR_INVALID);
    if (this.role === 'Secondary') return SETUP_OK;
    if (this.openCount > 0) return stateFailure(m, SS.DEVICE_IN_USE);
    const epoch = this.epoch;
    while (this.pendingCount() > 0) {
      await new Promise<void>((resolve) => this.timer(10, resolve));
      if (this.epoch !== epoch) return configFailure(m, ERR.MINOR_INVALID);
    }
    if (!this.isPrimary()) return SETUP_OK;
    if (this.openCount > 0) return stateFailure(m, SS.DEVICE_IN_USE);
    this.role = 'Secondary';
    this.md.crashedPrimary = false;
    this.md.al = [];
    this.commit();
    this.emitHistory({ kind: 'role', role: 'Secondary', atMs: this.deps.clock.nowMs() });
    this.sendState();
    return SETUP_OK;
  }

  /**
   * `drbdsetup outdate`. Matches the captures: on a disconnected Primary it fails silently with 17,
   * on a connected node it is a silent no-op.
   */
  outdate(): SetupOutcome {
    const m = String(this.config.minor);
    if (!this.up) return configFailure(m, ERR.MINOR_INVALID);
    if (this.disk === 'Diskless') return stateFailure(m, SS.IS_DISKLESS);
    if (this.disk === 'Outdated') return SETUP_OK;
    if (diskRank(this.disk) < diskRank('Outdated')) return stateFailure(m, SS.LOWER_THAN_OUTDATED);
    if (this.role === 'Primary' && !this.linked) return { exitCode: 17, stdout: '', stderr: '' };
    if (this.linked || this.cstate === 'WFReportParams') return SETUP_OK;
    this.setDisk('Outdated');
    this.commit();
    return SETUP_OK;
  }

  /**
   * Outdates this node's data out of band, as a dopd-style fence handler does on the peer (over a
   * heartbeat link, or with `drbdmeta outdate` while DRBD is down). Refused for a Primary, and while
   * this node still believes it is connected (DRBD turns an Outdated disk of a connected node back
   * into UpToDate: the handler has to wait until this side notices the cut).
   */
  forceOutdate(): boolean {
    if (this.powered && this.up) {
      if (this.role === 'Primary') return false;
      if (this.linked || this.cstate === 'WFReportParams') return false;
      if (this.disk === 'UpToDate' || this.disk === 'Consistent') {
        this.setDisk('Outdated');
        this.commit();
      }
      return true;
    }
    if (this.md.consistent) this.md.outdated = true;
    return true;
  }

  /** `drbdsetup resume-io`. */
  resumeIoCommand(): SetupOutcome {
    if (this.suspended) this.resumeIo('admin');
    return SETUP_OK;
  }

  // ---------------------------------------------------------------- fencing

  /** DRBD's environment for the fence-peer handler (drbdadm sets it before running the handler). */
  fenceEnv(): Record<string, string> {
    const [addr, port] = splitAddress(this.config.peerAddress);
    void port;
    return {
      DRBD_RESOURCE: this.config.resource,
      DRBD_MINOR: String(this.config.minor),
      DRBD_CONF: '/etc/drbd.conf',
      DRBD_PEER_ADDRESS: addr,
      DRBD_PEER_AF: addr.includes(':') ? 'ipv6' : 'ipv4',
      DRBD_PEER: this.config.peerName,
      DRBD_PEERS: this.config.peerName,
    };
  }

  /**
   * DRBD's `conn_try_outdate_peer`: runs the fence-peer handler and acts on its exit code
   * (3 peer Inconsistent, 4 peer outdated, 5 peer unreachable, 6 peer Primary -> outdate myself,
   * 7 peer stonithed; anything else: the handler is broken and a fencing freeze stays). Resolves
   * to whether the peer's disk is now known to be Outdated or worse.
   */
  async tryOutdatePeer(): Promise<boolean> {
    if (this.config.fencing === 'dont-care') return true;
    if (diskRank(this.peerDisk) <= diskRank('Outdated') && this.peerDisk !== 'DUnknown') return true;
    if (diskRank(this.disk) < diskRank('Consistent')) {
      this.log("Not fencing peer, I'm not even Consistent myself.");
      if (this.suspFen) this.resumeIo('not-consistent');
      return false;
    }
    if (this.fenceRunning) {
      // One handler at a time: wait for the running one.
      await new Promise<void>((resolve) => {
        const poll = () => (this.fenceRunning ? this.timer(50, poll) : resolve());
        poll();
      });
      return diskRank(this.peerDisk) <= diskRank('Outdated') && this.peerDisk !== 'DUnknown';
    }
    const epoch = this.epoch;
    const connects = this.sessionCounter;
    this.fenceRunning = true;
    const ids = this.helperFields(false);
    this.publish({
      atWallMs: this.deps.wallNowMs(),
      verb: 'call',
      object: 'helper',
      ids,
      state: [['helper', 'fence-peer']],
      stats: [],
      statsTail: [],
    });
    let code = 0;
    try {
      code = this.config.fencePeer ? await this.config.fencePeer(this.fenceEnv()) : 0;
    } catch {
      code = 1;
    }
    if (this.epoch !== epoch || !this.powered) return false;
    this.fenceRunning = false;
    this.publish({
      atWallMs: this.deps.wallNowMs(),
      verb: 'response',
      object: 'helper',
      ids,
      state: [
        ['helper', 'fence-peer'],
        ['status', String((code & 0xff) << 8)],
      ],
      stats: [],
      statsTail: [],
    });
    if (this.sessionCounter !== connects || this.linked || this.cstate === 'WFReportParams') {
      this.log('Ignoring fence-peer exit code: the connection was re-established meanwhile');
      return false;
    }
    let text: string;
    switch (code) {
      case 3:
        text = 'peer is inconsistent or worse';
        this.setPeerDisk('Inconsistent');
        break;
      case 4:
        text = 'peer was fenced';
        this.setPeerDisk('Outdated');
        break;
      case 5:
        if (this.disk === 'UpToDate') {
          text = 'peer is unreachable, assumed to be dead';
          this.setPeerDisk('Outdated');
        } else text = 'peer unreachable, doing nothing since disk != UpToDate';
        break;
      case 6:
        text = 'peer is active';
        this.log('Peer is primary, outdating myself.');
        if (this.role === 'Secondary') this.setDisk('Outdated');
        break;
      case 7:
        if (this.config.fencing !== 'resource-and-stonith')
          this.log('fence-peer() = 7 && fencing != Stonith !!!');
        text = 'peer was stonithed';
        this.setPeerDisk('Outdated');
        break;
      default:
        this.log(`fence-peer helper broken, returned ${code}`);
        this.commit();
        return false;
    }
    this.log(`fence-peer helper returned ${code} (${text})`);
    const fenced = diskRank(this.peerDisk) <= diskRank('Outdated');
    this.commit();
    if (fenced && this.suspFen) this.resumeIo('fenced');
    return fenced;
  }

  private resumeIo(_why: string): void {
    this.suspFen = false;
    this.suspUser = false;
    if (this.newCurUuidPending) {
      this.newCurUuidPending = false;
      if (!this.linked) this.newCurrentUuid();
    }
    this.commit();
    if (!this.linked) this.completePendingLocally();
    const q = this.queued;
    this.queued = [];
    for (const w of q) this.submit(w);
  }

  // ---------------------------------------------------------------- writes

  /**
   * The application writes `count` 4 KiB blocks on this node. Resolves per write whether it was
   * acknowledged (protocol C: on both disks, or on the local disk when DRBD goes on without the
   * peer). Refused (empty list) unless the node is Primary with access to UpToDate data.
   */
  write(
    count: number,
    blocks?: readonly number[],
  ): { accepted: SimWrite[]; refused: string | null; done: Promise<boolean>[] } {
    if (!this.powered || !this.up || this.role !== 'Primary')
      return { accepted: [], refused: 'Read-only file system', done: [] };
    const canWrite = this.disk === 'UpToDate' || (this.linked && this.peerDisk === 'UpToDate');
    if (!canWrite) return { accepted: [], refused: 'Input/output error', done: [] };
    const accepted: SimWrite[] = [];
    const done: Promise<boolean>[] = [];
    for (let i = 0; i < count; i++) {
      const w: SimWrite = {
        id: `${this.config.name}-${++this.writeSeq}-${this.deps.rng.int(1 << 30).toString(36)}`,
        node: this.config.name,
        block: blocks?.[i] ?? this.deps.rng.int(Math.floor(this.config.sizeKiB / BLOCK_KIB)),
        atMs: this.deps.clock.nowMs(),
      };
      accepted.push(w);
      done.push(new Promise<boolean>((resolve) => this.ackWaiters.set(w.id, resolve)));
      this.emitHistory({ kind: 'write-accepted', write: w });
      if (this.suspended) this.queued.push(w);
      else this.submit(w);
    }
    return { accepted, refused: null, done };
  }

  private storeLocally(w: SimWrite): void {
    if (!this.writeSet.has(w.id)) {
      this.writeSet.add(w.id);
      this.md.writes.push(w.id);
    }
    this.counters.dw += BLOCK_KIB;
    const extent = w.block >> 10;
    if (!this.al.has(extent)) {
      this.al.add(extent);
      this.counters.al++;
    }
    if (this.role === 'Primary') {
      // What a crash marks out of sync is every extent named in the on-disk AL ring buffer (its
      // recent transactions), which remembers far more than the `al-extents` hot set: captured with
      // al-extents 7, a 64 MiB disk after mkfs still marked all 64 MB.
      this.md.al = this.md.al.filter((e) => e !== extent);
      this.md.al.push(extent);
      if (this.md.al.length > AL_RING_EXTENTS) this.md.al.shift();
    }
  }

  private submit(w: SimWrite): void {
    this.diskIo();
    const hasDisk = this.disk === 'UpToDate' || this.disk === 'Inconsistent' || this.disk === 'Consistent';
    if (hasDisk) this.storeLocally(w);
    const s = this.session;
    const peerTakesData =
      s && this.linked && diskRank(this.peerDisk) >= diskRank('Inconsistent') && this.peerDisk !== 'DUnknown';
    if (s && peerTakesData) {
      this.pending.set(w.id, w);
      this.counters.ns += BLOCK_KIB;
      this.deps.transport.send(s.id, { t: 'write', write: w });
      this.timer(this.config.timeoutMs, () => {
        if (this.session === s && this.pending.has(w.id)) {
          this.log('Remote failed to finish a request within ko-count * timeout');
          this.connectionLost('NetworkFailure');
        }
      });
      return;
    }
    if (!hasDisk) {
      this.resolveWaiter(w.id, false);
      this.emitHistory({ kind: 'write-failed', id: w.id, atMs: this.deps.clock.nowMs() });
      return;
    }
    // Without the peer: the block is marked out of sync and the write completes locally.
    this.bitmap.add(w.block);
    this.syncMd();
    this.ack(w.id);
  }

  private receiveWrite(s: Session, w: SimWrite): void {
    if (!this.diskIo()) return;
    this.storeLocally(w);
    this.counters.nr += BLOCK_KIB;
    this.deps.transport.send(s.id, { t: 'write-ack', id: w.id });
  }

  private onWriteAck(id: string): void {
    if (!this.pending.delete(id)) return;
    this.ack(id);
  }

  private ack(id: string): void {
    if (this.acked.has(id)) return;
    this.acked.add(id);
    this.emitHistory({ kind: 'write-acked', id, atMs: this.deps.clock.nowMs() });
    this.resolveWaiter(id, true);
  }

  private resolveWaiter(id: string, ok: boolean): void {
    const r = this.ackWaiters.get(id);
    if (r) {
      this.ackWaiters.delete(id);
      r(ok);
    }
  }

  private completePendingLocally(): void {
    const hasDisk = this.disk === 'UpToDate' || this.disk === 'Consistent' || this.disk === 'Inconsistent';
    for (const [id, w] of [...this.pending]) {
      this.pending.delete(id);
      if (hasDisk) {
        this.bitmap.add(w.block);
        this.ack(id);
      } else {
        this.resolveWaiter(id, false);
        this.emitHistory({ kind: 'write-failed', id, atMs: this.deps.clock.nowMs() });
      }
    }
    this.syncMd();
  }

  private failAllPending(): void {
    for (const [id] of [...this.pending]) {
      this.pending.delete(id);
      this.resolveWaiter(id, false);
      this.emitHistory({ kind: 'write-failed', id, atMs: this.deps.clock.nowMs() });
    }
  }

  // ---------------------------------------------------------------- device open count

  /** `mount /dev/drbdN DIR`: opening for write needs Primary (8.4 returns EROFS / EMEDIUMTYPE). */
  mount(
    mountpoint: string,
  ): { ok: true } | { ok: false; reason: 'not-primary' | 'already-mounted' | 'no-device' } {
    if (!this.powered || !this.up) return { ok: false, reason: 'no-device' };
    if (this.role !== 'Primary') return { ok: false, reason: 'not-primary' };
    if (this.mounts.has(mountpoint)) return { ok: false, reason: 'already-mounted' };
    this.mounts.add(mountpoint);
    return { ok: true };
  }

  umount(target: string): boolean {
    if (this.mounts.delete(target)) return true;
    const dev = `/dev/drbd${this.config.minor}`;
    if (target === dev && this.mounts.size > 0) {
      const first = [...this.mounts][0];
      if (first !== undefined) this.mounts.delete(first);
      return true;
    }
    return false;
  }

  hold(): void {
    if (this.powered && this.up) this.holds++;
  }

  release(): void {
    this.holds = Math.max(0, this.holds - 1);
  }
}

/** DRBD's `ppsize`: KiB as `N KB`/`N MB`/... (shifting while the number has five digits). */
export function ppsize(kib: number): string {
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  let size = kib;
  let base = 0;
  while (size >= 10000 && base < units.length - 1) {
    size = Math.floor(size / 1024) + ((size & 512) !== 0 ? 1 : 0);
    base++;
  }
  return `${size} ${units[base] ?? 'K'}B`;
}

/** `10.0.0.1:7788` -> [`10.0.0.1`, `7788`]; IPv6 in brackets is accepted. */
export function splitAddress(addr: string): [string, string] {
  const i = addr.lastIndexOf(':');
  if (i < 0) return [addr, ''];
  return [addr.slice(0, i).replace(/^\[|\]$/g, ''), addr.slice(i + 1)];
}
