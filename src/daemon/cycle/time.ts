/** Helpers of the cycle's timing: its own stalls, and the earliest of several deadlines. */

export function earliest(times: readonly (number | null)[]): number | null {
  let best: number | null = null;
  for (const t of times) if (t !== null && (best === null || t < best)) best = t;
  return best;
}

/**
 * Notices this process's own stalls (SAFETY.md, "Monotonic time"): a gap between two iterations longer
 * than the threshold. A stall seen while the decision waits for the DRBD view is kept for the next one.
 */
export class StallWatch {
  private lastAtMs: number | null = null;
  private seen = false;

  iteration(nowMs: number, thresholdMs: number): void {
    this.seen ||= this.lastAtMs !== null && nowMs - this.lastAtMs > thresholdMs;
    this.lastAtMs = nowMs;
  }

  /** Whether a stall was seen since the last decision (and forget it). */
  take(): boolean {
    const s = this.seen;
    this.seen = false;
    return s;
  }
}
