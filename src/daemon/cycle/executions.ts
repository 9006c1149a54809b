/**
 * Plans in flight and what they left for the next decision: the action results, and the roles DRBD
 * must show before deciding again (view catch-up). Runs each plan through the executor, never two
 * actions on one resource at once.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { DrbdView } from '../../drbd/index.js';
import { resultObservation, type ActionResultObservation, type Decision } from '../../engine/index.js';
import type { Action } from '../../engine/index.js';
import type { ActionResult } from '../../executor/index.js';
import { deviceOfResource } from '../resource-devices.js';

/** After DRBD actions complete, decisions wait this long at most for the DRBD view to show their effect. */
export const VIEW_CATCH_UP_MS = 3_000;

export interface ExecutionsOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** Runs a plan (the executor); resolves with one result per action that ran. */
  readonly run: (plan: readonly Action[]) => Promise<readonly ActionResult[]>;
  /** One finished action (metrics, switchover steps). */
  readonly onResult: (result: ActionResult) => void;
  /** A whole plan finished; `failed` when one of its steps did not succeed. */
  readonly onFinished: (failed: boolean) => void;
}

export class Executions {
  private readonly running = new Map<number, ReadonlySet<string | null>>();
  private nextId = 0;
  private results: ActionResultObservation[] = [];
  /** Roles DRBD must show before the next decision, after promote/demote succeeded (until the deadline). */
  private readonly expectedRoles = new Map<string, { role: 'Primary' | 'Secondary'; untilMs: number }>();

  constructor(private readonly o: ExecutionsOptions) {}

  /** Resources with an action in flight (null: the node-level fence). */
  inFlight(): (string | null)[] {
    return [...new Set([...this.running.values()].flatMap((e) => [...e]))];
  }

  /** The results since the last decision, handed over once. */
  takeResults(): ActionResultObservation[] {
    const r = this.results;
    this.results = [];
    return r;
  }

  /** A result that came from outside a plan (the fence-peer handler's node fencing). */
  addResult(result: ActionResultObservation): void {
    this.results.push(result);
  }

  /**
   * The executor saw DRBD change (its own fresh query); the event stream may not have delivered it yet.
   * Deciding on the older view would re-plan what was just done (a second release after a demote), so
   * the decision waits for the view, bounded by VIEW_CATCH_UP_MS. The DRBD event triggers the loop again.
   */
  viewCaughtUp(
    now: number,
    view: DrbdView,
    devices: ReadonlyMap<string, { readonly device: string }>,
  ): boolean {
    for (const [resource, expected] of this.expectedRoles) {
      const r = devices.get(resource);
      const role =
        r === undefined ? undefined : deviceOfResource(view, { name: resource, device: r.device })?.role;
      if (role === expected.role || now > expected.untilMs) this.expectedRoles.delete(resource);
    }
    return this.expectedRoles.size === 0;
  }

  /** When the view catch-up wait gives up (the next decision is due then at the latest), or null. */
  catchUpDeadlineMs(): number | null {
    let best: number | null = null;
    // viewCaughtUp gives up once the time is past `untilMs`.
    for (const e of this.expectedRoles.values())
      if (best === null || e.untilMs + 1 < best) best = e.untilMs + 1;
    return best;
  }

  start(decision: Decision): void {
    const inFlight = new Set(this.inFlight());
    const plan = decision.plan.filter((a) => {
      const key = a.kind === 'fence-peer' ? null : a.kind === 'notify' ? undefined : a.resource;
      if (key === undefined || !inFlight.has(key)) return true;
      // SAFETY: "One decision at a time": the engine holds in-flight resources; a plan that does not is a bug.
      this.o.log.error(
        { code: 'E_INTERNAL', action: a },
        'engine planned an action for a resource in flight; dropped',
      );
      return false;
    });
    const resources = new Set<string | null>();
    for (const a of plan) if (a.kind !== 'notify') resources.add(a.kind === 'fence-peer' ? null : a.resource);
    const id = this.nextId++;
    this.running.set(id, resources);
    void this.o.run(plan).then(
      (results) => this.finish(id, results),
      (e: unknown) => {
        this.o.log.error({ code: 'E_INTERNAL', err: e }, 'executor threw');
        this.finish(id, []);
      },
    );
  }

  private finish(id: number, results: readonly ActionResult[]): void {
    this.running.delete(id);
    let failed = false;
    const now = this.o.clock.nowMs();
    for (const r of results) {
      if (r.status !== 'ok') failed = true;
      // skipped-precondition passes through: the world changed under the plan, which is no failure.
      this.results.push(resultObservation(r, now));
      if (r.status === 'ok' && (r.action.kind === 'promote' || r.action.kind === 'demote'))
        this.expectedRoles.set(r.action.resource, {
          role: r.action.kind === 'promote' ? 'Primary' : 'Secondary',
          untilMs: now + VIEW_CATCH_UP_MS,
        });
      // The executor logs every action; a real failure also gets its reason code here, for alerting.
      if (r.status === 'failed' || r.status === 'timeout')
        this.o.log.warn(
          {
            code: r.status === 'timeout' ? 'E_EXEC_TIMEOUT' : 'E_EXEC_FAILED',
            action: r.action.kind,
            resource: r.action.kind === 'fence-peer' ? null : r.action.resource,
            errorKind: r.errorKind,
            detail: r.detail,
            holders: r.holders,
          },
          'action failed',
        );
      this.o.onResult(r);
    }
    this.o.onFinished(failed);
  }
}
