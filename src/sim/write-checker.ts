/**
 * The write checker: proves from a run's history that (1) no acknowledged write was lost and (2) no
 * two Primaries accepted writes at the same time (SAFETY.md rules 1 and 3, as observable on data).
 */
import type { NodeHistoryEvent } from './node.js';

export type HistoryEntry = NodeHistoryEvent & { readonly node: string };

export interface LostWrite {
  readonly id: string;
  readonly node: string;
  readonly atMs: number;
  readonly when: 'promotion' | 'final';
}

export interface ConcurrentPrimaryWrites {
  readonly a: { readonly node: string; readonly id: string; readonly atMs: number };
  readonly b: { readonly node: string; readonly id: string; readonly atMs: number };
}

export interface WriteCheckResult {
  readonly ok: boolean;
  readonly acknowledged: number;
  readonly lost: readonly LostWrite[];
  readonly concurrentPrimaryWrites: readonly ConcurrentPrimaryWrites[];
}

/**
 * A node's time as Primary, bounded by positions in the history (its order of events), not by
 * milliseconds: a crash, a promotion and a write can share one millisecond of simulated time, and only
 * their order says whether two Primaries overlapped.
 */
interface Tenure {
  readonly node: string;
  readonly start: number;
  end: number;
  readonly writes: { id: string; atMs: number; seq: number }[];
}

/**
 * Collects history and checks it. `dataOf(node)` returns the writes the data a node serves holds (its
 * own disk, or its UpToDate peer's for a diskless Primary), read at the moment of a promotion.
 */
export class WriteChecker {
  readonly entries: HistoryEntry[] = [];
  private readonly acked = new Map<string, number>();
  private readonly lost: LostWrite[] = [];
  private readonly tenures: Tenure[] = [];
  private readonly open = new Map<string, Tenure>();

  constructor(private readonly dataOf: (node: string) => ReadonlySet<string> | null) {}

  record(node: string, e: NodeHistoryEvent): void {
    if (e.kind === 'log') return;
    this.entries.push({ ...e, node });
    switch (e.kind) {
      case 'write-acked':
        this.acked.set(e.id, e.atMs);
        return;
      case 'write-accepted': {
        this.open.get(node)?.writes.push({ id: e.write.id, atMs: e.write.atMs, seq: this.entries.length });
        return;
      }
      case 'role': {
        if (e.role === 'Primary') {
          this.verifyHolds(node, e.atMs, 'promotion');
          const t: Tenure = { node, start: this.entries.length, end: Number.POSITIVE_INFINITY, writes: [] };
          this.tenures.push(t);
          this.open.set(node, t);
        } else this.closeTenure(node);
        return;
      }
      case 'crash':
        this.closeTenure(node);
        return;
      case 'write-failed':
      case 'disk-replaced':
        return;
    }
  }

  private closeTenure(node: string): void {
    const t = this.open.get(node);
    if (t) {
      t.end = this.entries.length;
      this.open.delete(node);
    }
  }

  private verifyHolds(node: string, atMs: number, when: LostWrite['when']): void {
    const data = this.dataOf(node);
    if (!data) return;
    for (const [id] of this.acked) if (!data.has(id)) this.lost.push({ id, node, atMs, when });
  }

  /** Acknowledged write ids so far. */
  acknowledged(): ReadonlySet<string> {
    return new Set(this.acked.keys());
  }

  /**
   * The verdict. `currentPrimaries` are checked once more now: each must serve every acknowledged
   * write.
   */
  check(currentPrimaries: readonly string[], nowMs: number): WriteCheckResult {
    const lost = [...this.lost];
    for (const p of currentPrimaries) {
      const data = this.dataOf(p);
      if (!data) continue;
      for (const [id] of this.acked)
        if (!data.has(id)) lost.push({ id, node: p, atMs: nowMs, when: 'final' });
    }
    const concurrent: ConcurrentPrimaryWrites[] = [];
    for (let i = 0; i < this.tenures.length; i++)
      for (let j = i + 1; j < this.tenures.length; j++) {
        const x = this.tenures[i];
        const y = this.tenures[j];
        if (!x || !y || x.node === y.node) continue;
        const lo = Math.max(x.start, y.start);
        const hi = Math.min(x.end, y.end);
        if (lo > hi) continue;
        const wx = x.writes.find((w) => w.seq >= lo && w.seq <= hi);
        const wy = y.writes.find((w) => w.seq >= lo && w.seq <= hi);
        if (wx && wy)
          concurrent.push({
            a: { node: x.node, id: wx.id, atMs: wx.atMs },
            b: { node: y.node, id: wy.id, atMs: wy.atMs },
          });
      }
    return {
      ok: lost.length === 0 && concurrent.length === 0,
      acknowledged: this.acked.size,
      lost,
      concurrentPrimaryWrites: concurrent,
    };
  }
}
