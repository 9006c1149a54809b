/**
 * Monotonic time. Every timeout in the daemon is measured on a Clock so tests can drive a virtual one
 * and never sleep (ARCHITECTURE.md, "Time").
 */
export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin; never goes backwards, unaffected by wall-clock steps. */
  nowMs(): number;
  /** Calls `fn` after `delayMs` on this clock; returns a function that cancels it. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** The real monotonic clock (performance.now / hrtime), with real timers. */
export const systemClock: Clock = {
  nowMs: () => Number(process.hrtime.bigint() / 1_000_000n),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(handle);
  },
};

interface PendingTimer {
  readonly id: number;
  readonly atMs: number;
  readonly fn: () => void;
}

/**
 * A deterministic clock for tests and simulations: time moves only when `advance` or `runUntil` is
 * called, and timers fire in (time, creation) order.
 */
export class VirtualClock implements Clock {
  private now: number;
  private nextId = 0;
  private timers: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const timer = { id: this.nextId++, atMs: this.now + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t.id !== timer.id);
    };
  }

  /** Time of the next pending timer, or null when none is pending. */
  nextTimerAtMs(): number | null {
    let best: number | null = null;
    for (const t of this.timers) if (best === null || t.atMs < best) best = t.atMs;
    return best;
  }

  /** Moves time forward by `ms`, firing every timer due on the way in order. */
  advance(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /** Moves time to `targetMs`, firing due timers in order (timers they schedule fire too if due). */
  runUntil(targetMs: number): void {
    for (;;) {
      let due: PendingTimer | undefined;
      for (const t of this.timers) {
        if (
          t.atMs <= targetMs &&
          (due === undefined || t.atMs < due.atMs || (t.atMs === due.atMs && t.id < due.id))
        )
          due = t;
      }
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.atMs);
      due.fn();
    }
    this.now = Math.max(this.now, targetMs);
  }
}

/** Wall-clock time, for humans only (journal `time`, status, alerts' `since`): decisions use the monotonic Clock. */
export interface WallClock {
  /** Now as ISO 8601 UTC. */
  nowIso(): string;
}

/** The system's wall clock. */
export const systemWallClock: WallClock = { nowIso: () => new Date().toISOString() };
