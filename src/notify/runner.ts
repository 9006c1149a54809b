import { systemWallClock, type Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { Deduplicator } from './dedup.js';
import { deliver, type DeliveryReport } from './delivery.js';
import { hookWants, type NotifyHook } from './hooks.js';
import { buildPayload, type NotifyEvent, type NotifyPayload } from './payload.js';

export interface NotifyRunnerOptions {
  readonly hooks: readonly NotifyHook[];
  readonly node: string;
  readonly cluster: string | null;
  readonly clock: Clock;
  /** Wall-clock time for the payload's `time` (ISO); default the system's wall clock. */
  readonly wallClock?: () => string;
  /** Repeats of the same event+resource+reason within this window (ms) are suppressed; default 10 min. 0 disables. */
  readonly dedupWindowMs?: number;
  /** Deliveries (event x hook) waiting beyond this are dropped and logged; default 100. */
  readonly maxQueue?: number;
  /** Deliveries running at once; default 2. */
  readonly concurrency?: number;
  readonly logger?: Logger;
  /** Called after every delivery (metrics). */
  readonly onDelivery?: (report: DeliveryReport, payload: NotifyPayload) => void;
}

interface Job {
  readonly hook: NotifyHook;
  readonly payload: NotifyPayload;
  readonly done?: (r: DeliveryReport) => void;
}

/** Counters for status and tests. */
export interface NotifyStats {
  readonly queued: number;
  readonly running: number;
  readonly delivered: number;
  readonly failed: number;
  readonly suppressed: number;
  readonly dropped: number;
}

/**
 * Runs notify hooks without ever blocking the loop: `notify()` filters, de-duplicates and enqueues, then
 * returns; a bounded queue feeds at most `concurrency` deliveries at once. Failures are logged with reason
 * codes and counted, never thrown.
 */
export class NotifyRunner {
  private readonly queue: Job[] = [];
  private running = 0;
  private readonly dedup: Deduplicator | null;
  private readonly abort = new AbortController();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly log: Logger | undefined;
  private hooks: readonly NotifyHook[];
  private counts = { delivered: 0, failed: 0, suppressed: 0, dropped: 0 };
  private closed = false;

  constructor(private readonly options: NotifyRunnerOptions) {
    this.hooks = options.hooks;
    const windowMs = options.dedupWindowMs ?? 600_000;
    this.dedup = windowMs > 0 ? new Deduplicator(options.clock, windowMs) : null;
    this.log = options.logger?.child({ module: 'notify' });
  }

  /** Replaces the hook list (SIGHUP reload); queued deliveries keep their old hook. */
  setHooks(hooks: readonly NotifyHook[]): void {
    this.hooks = hooks;
  }

  /**
   * Queues the event for every hook that wants it. Returns at once; never throws. `dedup: false` skips
   * de-duplication (reminders of open alerts, which must go out whatever the window says).
   */
  notify(event: NotifyEvent, options: { readonly dedup?: boolean } = {}): void {
    try {
      if (this.closed) return;
      const targets = this.hooks.filter((h) => hookWants(h, event.event));
      if (targets.length === 0) return;
      let suppressed = 0;
      if (this.dedup !== null && options.dedup !== false) {
        const v = this.dedup.check(event);
        if (!v.deliver) {
          this.counts.suppressed++;
          this.log?.debug(
            { event: event.event, resource: event.resource, reason: event.reason, count: v.suppressed },
            'notification suppressed',
          );
          return;
        }
        suppressed = v.suppressed;
      }
      const payload = this.payload(event, suppressed, false);
      for (const hook of targets) this.enqueue({ hook, payload });
    } catch (e) {
      this.log?.error({ err: e, code: 'E_INTERNAL' }, 'notify failed');
    }
  }

  /**
   * Delivers an event to every hook that wants it, bypassing de-duplication, and resolves with each hook's
   * report (for `notify-test`). `test` marks the payload as a drill. Still goes through the queue.
   */
  deliverNow(event: NotifyEvent, options: { readonly test?: boolean } = {}): Promise<DeliveryReport[]> {
    const targets = this.hooks.filter((h) => hookWants(h, event.event));
    const payload = this.payload(event, 0, options.test ?? false);
    return Promise.all(
      targets.map(
        (hook) =>
          new Promise<DeliveryReport>((resolve) => {
            if (!this.enqueue({ hook, payload, done: resolve }))
              resolve({
                hook: hook.name,
                kind: hook.kind,
                status: 'failed',
                reason: 'aborted',
                detail: 'notification queue full or closed',
                attempts: 0,
                durationMs: 0,
              });
          }),
      ),
    );
  }

  stats(): NotifyStats {
    return { queued: this.queue.length, running: this.running, ...this.counts };
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops accepting events; lets running deliveries finish for up to `graceMs` (on `clock`), then aborts them
   * (commands get SIGTERM). Queued deliveries that never started are dropped and logged.
   */
  async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    const dropped = this.queue.splice(0);
    for (const j of dropped)
      this.finishJob(j, {
        hook: j.hook.name,
        kind: j.hook.kind,
        status: 'failed',
        reason: 'aborted',
        detail: 'daemon stopping',
        attempts: 0,
        durationMs: 0,
      });
    if (dropped.length > 0)
      this.log?.warn(
        { code: 'notify-dropped-on-stop', count: dropped.length },
        'queued notifications dropped on stop',
      );
    const cancel = this.options.clock.setTimer(graceMs, () => this.abort.abort());
    await this.idle();
    cancel();
  }

  private payload(event: NotifyEvent, suppressed: number, test: boolean): NotifyPayload {
    const timeIso = (this.options.wallClock ?? systemWallClock.nowIso)();
    return buildPayload(
      event,
      { node: this.options.node, cluster: this.options.cluster, timeIso },
      { suppressed, test },
    );
  }

  private enqueue(job: Job): boolean {
    if (this.closed) return false;
    if (this.queue.length >= (this.options.maxQueue ?? 100)) {
      this.counts.dropped++;
      this.log?.error(
        { code: 'notify-queue-full', hook: job.hook.name, event: job.payload.event },
        'notification dropped: queue full',
      );
      return false;
    }
    this.queue.push(job);
    this.pump();
    return true;
  }

  private pump(): void {
    while (this.running < (this.options.concurrency ?? 2)) {
      const job = this.queue.shift();
      if (job === undefined) break;
      this.running++;
      void deliver(job.hook, job.payload, { clock: this.options.clock, signal: this.abort.signal })
        .catch((e: unknown): DeliveryReport => ({
          hook: job.hook.name,
          kind: job.hook.kind,
          status: 'failed',
          reason: 'hook-spawn-error',
          detail: `internal: ${String(e)}`,
          attempts: 0,
          durationMs: 0,
        }))
        .then((report) => {
          this.running--;
          this.finishJob(job, report);
          this.pump();
          if (this.queue.length === 0 && this.running === 0) this.idleWaiters.splice(0).forEach((w) => w());
        });
    }
  }

  private finishJob(job: Job, report: DeliveryReport): void {
    const fields = {
      hook: report.hook,
      kind: report.kind,
      event: job.payload.event,
      resource: job.payload.resource,
      attempts: report.attempts,
      durationMs: report.durationMs,
    };
    if (report.status === 'ok') {
      this.counts.delivered++;
      this.log?.info(fields, 'notification delivered');
    } else {
      this.counts.failed++;
      this.log?.warn({ ...fields, code: report.reason, detail: report.detail }, 'notification failed');
    }
    try {
      this.options.onDelivery?.(report, job.payload);
      job.done?.(report);
    } catch (e) {
      this.log?.error({ err: e, code: 'E_INTERNAL' }, 'notify callback failed');
    }
  }
}
