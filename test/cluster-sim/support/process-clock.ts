/**
 * The clock of one simulated daemon process, over the world's VirtualClock. It models what SIGSTOP and
 * kill -9 do to a process: while the process is paused, its timers and the I/O it waits for (command
 * results, heartbeats, DRBD events) queue up and run in order when it resumes; once it is killed,
 * nothing of it ever runs again. Deterministic: no real timers.
 */
import type { Clock, VirtualClock } from '../../../src/common/clock.js';

export class ProcessClock implements Clock {
  private paused = false;
  private dead = false;
  private queue: (() => void)[] = [];

  constructor(private readonly base: VirtualClock) {}

  nowMs(): number {
    return this.base.nowMs();
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    let cancelled = false;
    const cancel = this.base.setTimer(delayMs, () => {
      if (!cancelled) this.run(fn);
    });
    return () => {
      cancelled = true;
      cancel();
    };
  }

  /** Runs `fn` in this process: now, after the pause, or never (killed). */
  run(fn: () => void): void {
    if (this.dead) return;
    if (this.paused) this.queue.push(fn);
    else fn();
  }

  /** Resolves with `value` when this process is running (never, once it was killed). */
  gate<T>(value: T): Promise<T> {
    return new Promise<T>((resolve) => this.run(() => resolve(value)));
  }

  get alive(): boolean {
    return !this.dead;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const queued = this.queue;
    this.queue = [];
    for (const fn of queued) this.run(fn);
  }

  kill(): void {
    this.dead = true;
    this.paused = false;
    this.queue = [];
  }
}
