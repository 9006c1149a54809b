import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../common/log.js';
import { err, ok, type Result } from '../common/result.js';
import type { ConnectionState, DiskState, Role } from '../drbd/types.js';

/** What the verify job needs to know of a resource (from the daemon's latest observation). */
export interface VerifyCandidateState {
  readonly name: string;
  readonly role: Role;
  readonly cstate: ConnectionState;
  readonly disk: DiskState;
  readonly peerDisk: DiskState;
}

/**
 * Resources to run online verify on (pure): those this node is Primary of, Connected (not already syncing or
 * verifying), with both disks UpToDate. Verify compares both sides, so exactly one node (the Primary) starts it.
 */
export function verifyCandidates(resources: readonly VerifyCandidateState[]): string[] {
  return resources
    .filter(
      (r) =>
        r.role === 'Primary' &&
        r.cstate === 'Connected' &&
        r.disk === 'UpToDate' &&
        r.peerDisk === 'UpToDate',
    )
    .map((r) => r.name);
}

/** The ports the daemon supplies. */
export interface SchedulerPorts {
  /** Current state of every configured resource. */
  readonly resources: () => readonly VerifyCandidateState[];
  /** True in cluster maintenance: verify is skipped (reminders still go out). */
  readonly maintenance: () => boolean;
  /** Starts `drbdadm verify RES` (through the daemon's command runner, with its timeout). */
  readonly startVerify: (resource: string) => Promise<Result<void, string>>;
  /** Re-sends the notifications of alerts that are still open; resolves to how many were re-sent. */
  readonly remindOpenAlerts: () => Promise<number>;
}

export interface SchedulerOptions {
  /** Cron expression for online verify (config `schedule.verify`), null: never. */
  readonly verifyCron: string | null;
  /** Cron expression for reminders (config `schedule.reminders`), null: never. */
  readonly remindersCron: string | null;
  readonly ports: SchedulerPorts;
  /** IANA time zone for the expressions; default the system's. */
  readonly timezone?: string;
  readonly logger?: Logger;
}

export type JobName = 'verify' | 'reminders';

/** What one run of a job did (logged; returned to tests). */
export type JobRun =
  | {
      readonly job: 'verify';
      readonly started: readonly string[];
      readonly failed: readonly { resource: string; error: string }[];
      readonly skipped: 'maintenance' | null;
    }
  | { readonly job: 'reminders'; readonly sent: number; readonly error: string | null };

/**
 * The daemon's periodic jobs on node-cron: online verify of the resources this node is Primary of, and
 * reminders that re-page open alerts. Runs never overlap; failures are logged, never thrown.
 */
export class Scheduler {
  private readonly tasks = new Map<JobName, ScheduledTask>();
  private readonly log: Logger | undefined;

  private constructor(private readonly options: SchedulerOptions) {
    this.log = options.logger?.child({ module: 'scheduler' });
  }

  /** Validates both expressions and creates the (stopped) tasks. */
  static create(options: SchedulerOptions): Result<Scheduler, string> {
    for (const [name, expr] of [
      ['schedule.verify', options.verifyCron],
      ['schedule.reminders', options.remindersCron],
    ] as const)
      if (expr !== null && !cron.validate(expr))
        return err(`${name}: "${expr}" is not a valid cron expression`);
    const s = new Scheduler(options);
    if (options.verifyCron !== null)
      s.tasks.set(
        'verify',
        s.task('verify', options.verifyCron, () => s.runVerify()),
      );
    if (options.remindersCron !== null)
      s.tasks.set(
        'reminders',
        s.task('reminders', options.remindersCron, () => s.runReminders()),
      );
    return ok(s);
  }

  /** Starts the configured tasks. */
  start(): void {
    for (const t of this.tasks.values()) void t.start();
  }

  /** Stops and destroys the tasks (shutdown, or before a reload builds a new Scheduler). */
  async stop(): Promise<void> {
    for (const t of this.tasks.values()) await t.destroy();
    this.tasks.clear();
  }

  /** Next scheduled time of a job, null when it is off. */
  nextRun(job: JobName): Date | null {
    return this.tasks.get(job)?.getNextRun() ?? null;
  }

  /** Runs a configured job now through node-cron (as a scheduled run would); null when the job is off. */
  async runNow(job: JobName): Promise<JobRun | null> {
    const t = this.tasks.get(job);
    if (t === undefined) return null;
    return (await t.execute()) as JobRun;
  }

  /** One verify run (exported for the daemon's own use and tests). Never throws. */
  async runVerify(): Promise<JobRun> {
    const { ports } = this.options;
    if (ports.maintenance()) {
      this.log?.info(
        { job: 'verify', code: 'verify-skipped-maintenance' },
        'online verify skipped: maintenance',
      );
      return { job: 'verify', started: [], failed: [], skipped: 'maintenance' };
    }
    const started: string[] = [];
    const failed: { resource: string; error: string }[] = [];
    let candidates: string[] = [];
    try {
      candidates = verifyCandidates(ports.resources());
    } catch (e) {
      failed.push({ resource: '*', error: `cannot read resource states: ${String(e)}` });
    }
    for (const resource of candidates) {
      let r: Result<void, string>;
      try {
        r = await ports.startVerify(resource);
      } catch (e) {
        r = err(String(e));
      }
      if (r.ok) started.push(resource);
      else failed.push({ resource, error: r.error });
    }
    if (failed.length > 0)
      this.log?.warn({ job: 'verify', started, failed, code: 'verify-failed' }, 'online verify failed');
    else this.log?.info({ job: 'verify', started }, 'online verify started');
    return { job: 'verify', started, failed, skipped: null };
  }

  /** One reminders run. Never throws. */
  async runReminders(): Promise<JobRun> {
    try {
      const sent = await this.options.ports.remindOpenAlerts();
      if (sent > 0) this.log?.info({ job: 'reminders', sent }, 'open alerts re-sent');
      return { job: 'reminders', sent, error: null };
    } catch (e) {
      this.log?.warn({ job: 'reminders', err: e, code: 'reminders-failed' }, 'reminders failed');
      return { job: 'reminders', sent: 0, error: String(e) };
    }
  }

  private task(name: JobName, expr: string, fn: () => Promise<JobRun>): ScheduledTask {
    const log = this.log;
    return cron.createTask(expr, fn, {
      name: `drbd-sentinel-${name}`,
      noOverlap: true,
      ...(this.options.timezone === undefined ? {} : { timezone: this.options.timezone }),
      // node-cron logs to the console by default; route it to pino.
      logger: {
        info: (m) => log?.debug({ job: name }, String(m)),
        warn: (m) => log?.warn({ job: name }, String(m)),
        error: (m) => log?.error({ job: name }, String(m)),
        debug: (m) => log?.debug({ job: name }, String(m)),
      },
    });
  }
}
