import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';

/**
 * The watchdog interval systemd asks for (pure): WATCHDOG_USEC in milliseconds, or null when the watchdog is
 * off, the value is invalid, or WATCHDOG_PID names another process (the variables were inherited, not meant
 * for us; see sd_watchdog_enabled(3)).
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number = process.pid): number | null {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || !/^\d+$/.test(usecText)) return null;
  const usec = Number(usecText);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  const pidText = env.WATCHDOG_PID;
  if (pidText !== undefined && pidText !== '' && Number(pidText) !== pid) return null;
  return Math.max(1, Math.floor(usec / 1000));
}

/**
 * Tracks whether the main loop is making progress (a cycle completed recently). The daemon calls
 * `markProgress()` at the end of every complete loop cycle; the watchdog pings only while `isHealthy()`.
 */
export class LoopProgress {
  private lastMs: number | null = null;

  constructor(
    private readonly clock: Clock,
    /** A loop that has not completed a cycle for longer than this (ms) is stalled. */
    readonly maxStallMs: number,
  ) {}

  markProgress(): void {
    this.lastMs = this.clock.nowMs();
  }

  /** Milliseconds since the last completed cycle, or null before the first one. */
  sinceLastProgressMs(): number | null {
    return this.lastMs === null ? null : this.clock.nowMs() - this.lastMs;
  }

  /** True when a cycle completed within `maxStallMs`. False before the first cycle. */
  isHealthy(): boolean {
    const since = this.sinceLastProgressMs();
    return since !== null && since <= this.maxStallMs;
  }
}

export interface WatchdogOptions {
  readonly clock: Clock;
  /** systemd's WatchdogSec in ms (see `watchdogIntervalMs`); the watchdog pings every half of it. */
  readonly intervalMs: number;
  /** Checked before every ping: a ping is withheld while it is false, so systemd kills a hung daemon. */
  readonly isHealthy: () => boolean;
  /** Sends WATCHDOG=1 (normally `() => notifier.notify({ watchdog: true })`). Errors are caught and logged. */
  readonly ping: () => void | Promise<unknown>;
  readonly logger?: Logger;
}

/**
 * Pings the systemd watchdog at half the interval systemd asks for, but only while the loop is healthy.
 * SAFETY: "Self-demotion" (SAFETY.md): the watchdog is what bounds a hung daemon; pinging from a timer that
 * ignores the loop's health would keep a stuck Primary alive, so a missed health check withholds the ping.
 */
export class Watchdog {
  private cancel: (() => void) | null = null;
  private pings = 0;
  private withheld = 0;
  private wasHealthy = true;
  private readonly log: Logger | undefined;

  constructor(private readonly options: WatchdogOptions) {
    this.log = options.logger?.child({ module: 'watchdog' });
  }

  /** Ping period in ms: half of systemd's interval (sd_watchdog_enabled(3) recommends that). */
  get periodMs(): number {
    return Math.max(1, Math.floor(this.options.intervalMs / 2));
  }

  get counts(): { readonly pings: number; readonly withheld: number } {
    return { pings: this.pings, withheld: this.withheld };
  }

  /** Starts the periodic check; the first one runs one period from now. Idempotent. */
  start(): void {
    if (this.cancel !== null) return;
    this.schedule();
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }

  /** Runs one check now: pings when healthy, otherwise withholds and logs once per unhealthy spell. */
  tick(): void {
    let healthy: boolean;
    try {
      healthy = this.options.isHealthy();
    } catch {
      healthy = false;
    }
    if (!healthy) {
      this.withheld++;
      if (this.wasHealthy)
        this.log?.warn({ code: 'watchdog-withheld' }, 'loop not healthy, watchdog ping withheld');
      this.wasHealthy = false;
      return;
    }
    if (!this.wasHealthy)
      this.log?.info({ code: 'watchdog-resumed' }, 'loop healthy again, watchdog pings resume');
    this.wasHealthy = true;
    this.pings++;
    try {
      const r = this.options.ping();
      if (r instanceof Promise) r.catch((e: unknown) => this.log?.warn({ err: e }, 'watchdog ping failed'));
    } catch (e) {
      this.log?.warn({ err: e }, 'watchdog ping failed');
    }
  }

  private schedule(): void {
    this.cancel = this.options.clock.setTimer(this.periodMs, () => {
      if (this.cancel === null) return;
      this.tick();
      if (this.cancel !== null) this.schedule();
    });
  }
}
