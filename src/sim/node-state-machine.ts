/**
 * The state machine of a simulated node: UUIDs and metadata, disk states, lifecycle (up, attach, detach,
 * down, crash, power-on) and roles (promote, demote).
 * One layer of SimNode (node.ts); the state lives in node-base.ts.
 */
import type { DiskState } from '../drbd/types.js';
import {
  configFailure,
  ERR,
  SETUP_OK,
  SS,
  stateFailure,
  type SetupOutcome,
  type StateError,
} from './state-errors.js';
import { diskRank, UUID_JUST_CREATED, UUID_ZERO, type GenerationIds } from './uuid-rules.js';
import { SimNodeConnection } from './node-connection.js';
import { BLOCK_KIB, freshMetadata } from './node-base.js';
import { ppsize } from './drbd-text.js';

export abstract class SimNodeStateMachine extends SimNodeConnection {
  // ---------------------------------------------------------------- UUIDs and metadata

  protected override setUuids(u: GenerationIds): void {
    this.md.uuids = { current: u.current, bitmap: u.bitmap, history: [u.history[0], u.history[1]] };
  }

  /** DRBD's `drbd_uuid_new_current`: the current UUID moves to the bitmap slot. */
  protected override newCurrentUuid(): void {
    const u = this.md.uuids;
    if (u.bitmap !== UUID_ZERO) this.log(`bm UUID was already set: ${u.bitmap}`);
    this.setUuids({ current: this.deps.rng.uuid(), bitmap: u.current, history: u.history });
    this.log('Creating new current UUID');
  }

  protected override syncMd(): void {
    this.md.bitmap = [...this.bitmap];
  }

  protected override setDisk(disk: DiskState): void {
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
  protected onPeerDiskChange(old: DiskState, next: DiskState): void {
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

  protected override setPeerDisk(next: DiskState): void {
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

  protected resetVolatile(): void {
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
  override diskIo(): boolean {
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

  protected applyPrimary(forced: boolean): void {
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
}
