/**
 * Handshake and resync of a simulated node: the UUID comparison after connecting, resync and online verify
 * runs on the virtual clock, and what a finished sync does to both disks.
 * One layer of SimNode (node.ts); the state lives in node-base.ts.
 */
import type { DiskState } from '../drbd/types.js';
import { SETUP_OK, SS, stateFailure, type SetupOutcome } from './state-errors.js';
import { decideHandshake, UUID_ZERO, type GenerationIds, type HandshakeSide } from './uuid-rules.js';
import { SimNodeFencing } from './node-fencing.js';
import { BLOCK_KIB, SYNC_TICK_MS, type Session, type SyncRun } from './node-base.js';

export abstract class SimNodeResync extends SimNodeFencing {
  // ---------------------------------------------------------------- handshake and resync

  protected mySide(): HandshakeSide {
    return {
      uuids: this.md.uuids,
      disk: this.disk === 'Negotiating' ? this.negotiatedDisk() : this.disk,
      role: this.role,
      crashedPrimary: this.md.crashedPrimary && this.role !== 'Primary',
      discardMyData: this.discardMyData,
      changedBlocks: this.bitmap.size,
    };
  }

  protected negotiatedDisk(): DiskState {
    if (this.md.fullSyncNeeded || !this.md.consistent) return 'Inconsistent';
    return this.md.outdated ? 'Outdated' : 'Consistent';
  }

  protected decide(s: Session): void {
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
  protected afterConnected(): void {
    if (this.suspFen) this.resumeIo('reconnected');
  }

  protected onSyncBegin(s: Session, _full: boolean, total: number, verify: boolean): void {
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

  protected startSync(s: Session, role: 'source' | 'target', total: number, verify: boolean): void {
    s.sync = {
      role,
      verify,
      totalBlocks: total,
      leftBlocks: total,
      startedMs: this.deps.clock.nowMs(),
      storedDuring: [],
    };
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

  protected finishSyncAsSource(s: Session, run: SyncRun): void {
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

  protected onSyncDone(s: Session, writes: readonly string[], uuids: GenerationIds, verify: boolean): void {
    const run = s.sync;
    s.sync = null;
    if (verify) {
      this.cstate = 'Connected';
      this.commit();
      return;
    }
    const kib = this.oosKiB();
    this.counters.nr += kib;
    this.counters.dw += kib;
    // The source's list crosses writes still on their way to it (chaos seed 3084: the SyncTarget Primary's
    // last write, acknowledged by both, vanished from its disk with the sync-done that overtook it).
    const sent = new Set(writes);
    const storedDuring = run?.storedDuring.filter((id) => !sent.has(id)) ?? [];
    this.md.writes = [...writes, ...storedDuring];
    this.writeSet = new Set(this.md.writes);
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

  protected abortSync(): void {
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
}
