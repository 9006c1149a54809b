import type { Clock } from '../common/clock.js';
import type { NotifyEvent } from './payload.js';

/** The de-duplication key: the same event on the same resource for the same reason. */
export function dedupKey(e: NotifyEvent): string {
  return JSON.stringify([e.event, e.resource, e.reason ?? null]);
}

/** Verdict for one event: deliver it (with the number suppressed since the last delivery) or suppress it. */
export type DedupVerdict =
  | { readonly deliver: true; readonly suppressed: number }
  | { readonly deliver: false; readonly suppressed: number };

interface Entry {
  lastDeliveredMs: number;
  suppressed: number;
}

/**
 * Suppresses repeats of the same event+resource+reason within `windowMs` of the last delivered one, counting
 * them; the first one after the window carries the count, so a flapping link pages once per window with a
 * summary instead of once per flap. Time from the injected Clock.
 */
export class Deduplicator {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    readonly windowMs: number,
    /** Forget keys idle for longer than this many windows (bounded memory). */
    private readonly maxKeys = 1000,
  ) {}

  check(e: NotifyEvent): DedupVerdict {
    const now = this.clock.nowMs();
    const key = dedupKey(e);
    const entry = this.entries.get(key);
    if (entry !== undefined && now - entry.lastDeliveredMs < this.windowMs) {
      entry.suppressed++;
      return { deliver: false, suppressed: entry.suppressed };
    }
    const suppressed = entry?.suppressed ?? 0;
    this.entries.delete(key); // re-insert: Map order then tracks recency for eviction
    this.entries.set(key, { lastDeliveredMs: now, suppressed: 0 });
    if (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return { deliver: true, suppressed };
  }

  /** Suppressed counts not yet reported, by key (for status and tests). */
  pending(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const [k, v] of this.entries) if (v.suppressed > 0) out.set(k, v.suppressed);
    return out;
  }
}
