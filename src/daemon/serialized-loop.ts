import type { Clock } from '../common/clock.js';

/** Why a loop iteration ran: coalesced, so one iteration may carry several. */
export type LoopTrigger = 'tick' | 'deadline' | 'drbd' | 'peer' | 'intent' | 'action-done' | 'start';

export interface LoopStepResult {
  /** The iteration completed normally (an unexpected throw is `false`: no watchdog ping for it). */
  readonly healthy: boolean;
}

export interface SerializedLoopOptions {
  readonly clock: Clock;
  readonly tickIntervalMs: number;
  /** One observe-decide-act iteration. Must not throw; if it does, the iteration counts as unhealthy. */
  readonly step: (triggers: ReadonlySet<LoopTrigger>) => Promise<LoopStepResult>;
  readonly onUnexpectedError: (error: unknown) => void;
}

/**
 * Runs `step` on every trigger, at each deadline it is given and on a fixed tick, never concurrently (SAFETY.md, "One decision at a
 * time"): triggers that arrive while a step runs are coalesced into the next one.
 */
export class SerializedLoop {
  private running = false;
  private stopped = true;
  private pending = new Set<LoopTrigger>();
  private cancelTick: (() => void) | null = null;
  private cancelWake: (() => void) | null = null;
  private idle: Promise<void> = Promise.resolve();
  private lastHealthyAtMs: number | null = null;
  private iterations = 0;

  constructor(private readonly options: SerializedLoopOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.scheduleTick();
    this.trigger('start');
  }

  /** Requests an iteration; returns at once. */
  trigger(reason: LoopTrigger): void {
    if (this.stopped) return;
    this.pending.add(reason);
    if (!this.running) this.idle = this.drain();
  }

  /** Stops ticking and resolves once the iteration in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTick?.();
    this.cancelTick = null;
    this.wakeAt(null);
    this.pending.clear();
    await this.idle;
  }

  /**
   * Runs an iteration at monotonic `atMs` (a decision's deadline: fence delay, initdead, ...), besides the
   * events and the tick; replaces the previous deadline. Null: no deadline.
   */
  wakeAt(atMs: number | null): void {
    this.cancelWake?.();
    this.cancelWake = null;
    if (atMs === null || this.stopped) return;
    const clock = this.options.clock;
    this.cancelWake = clock.setTimer(Math.max(0, atMs - clock.nowMs()), () => {
      this.cancelWake = null;
      this.trigger('deadline');
    });
  }

  /** Monotonic time of the last iteration that completed healthily, or null before the first. */
  lastHealthyAt(): number | null {
    return this.lastHealthyAtMs;
  }

  iterationCount(): number {
    return this.iterations;
  }

  /** Resolves when no iteration is running or pending. */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    this.cancelTick = this.options.clock.setTimer(this.options.tickIntervalMs, () => {
      this.trigger('tick');
      this.scheduleTick();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.size > 0 && !this.stopped) {
        const triggers = this.pending;
        this.pending = new Set();
        this.iterations += 1;
        let healthy = false;
        try {
          healthy = (await this.options.step(triggers)).healthy;
        } catch (e) {
          this.options.onUnexpectedError(e);
        }
        if (healthy) this.lastHealthyAtMs = this.options.clock.nowMs();
      }
    } finally {
      this.running = false;
    }
  }
}
