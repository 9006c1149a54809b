/**
 * The write path of a simulated node: local writes, replication to the peer and its acknowledgements, I/O
 * suspension queues, and the device open count (mounts and holders).
 * One layer of SimNode (node.ts); the state lives in node-base.ts.
 */
import type { SimWrite } from './types.js';
import { diskRank } from './uuid-rules.js';
import { SimNodeEvents2 } from './node-events2.js';
import { BLOCK_KIB, AL_RING_EXTENTS, type Session } from './node-base.js';

export abstract class SimNodeWrites extends SimNodeEvents2 {
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

  protected storeLocally(w: SimWrite): void {
    if (!this.writeSet.has(w.id)) {
      this.writeSet.add(w.id);
      this.md.writes.push(w.id);
    }
    const sync = this.session?.sync;
    if (sync?.role === 'target' && !sync.verify) sync.storedDuring.push(w.id);
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

  protected submit(w: SimWrite): void {
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

  protected receiveWrite(s: Session, w: SimWrite): void {
    if (!this.diskIo()) return;
    this.storeLocally(w);
    this.counters.nr += BLOCK_KIB;
    this.deps.transport.send(s.id, { t: 'write-ack', id: w.id });
  }

  protected onWriteAck(id: string): void {
    if (!this.pending.delete(id)) return;
    this.ack(id);
  }

  protected ack(id: string): void {
    if (this.acked.has(id)) return;
    this.acked.add(id);
    this.emitHistory({ kind: 'write-acked', id, atMs: this.deps.clock.nowMs() });
    this.resolveWaiter(id, true);
  }

  protected resolveWaiter(id: string, ok: boolean): void {
    const r = this.ackWaiters.get(id);
    if (r) {
      this.ackWaiters.delete(id);
      r(ok);
    }
  }

  protected completePendingLocally(): void {
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

  protected failAllPending(): void {
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
