/**
 * What a schedule's role samples say about availability: failovers (the Primary moved to the other
 * node) and, per failover, how long no node was Primary. Pure; for bench/results/chaos.json, never
 * asserted on (speed belongs in bench/).
 */
import type { NodeIndex, RoleSample } from './checker.js';

export interface Failover {
  readonly from: NodeIndex;
  readonly to: NodeIndex;
  /** When `from` stopped being Primary, and how long until `to` was. */
  readonly atMs: number;
  readonly gapMs: number;
}

/** Failovers in time order. Samples must be in time order; change points suffice. Pure. */
export function failovers(samples: readonly RoleSample[]): Failover[] {
  const out: Failover[] = [];
  let last: NodeIndex | null = null;
  let stoppedAt: number | null = null;
  for (const s of samples) {
    const primaries = ([0, 1] as const).filter((i) => s.roles[i] === 'Primary');
    const now = primaries.length === 1 ? primaries[0]! : null;
    if (now === null) {
      if (last !== null && stoppedAt === null) stoppedAt = s.tMs;
      continue;
    }
    if (last !== null && now !== last)
      out.push({ from: last, to: now, atMs: stoppedAt ?? s.tMs, gapMs: s.tMs - (stoppedAt ?? s.tMs) });
    last = now;
    stoppedAt = null;
  }
  return out;
}

/** The median of a list of numbers, null when empty. Pure. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}
