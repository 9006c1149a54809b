/**
 * What the executor runs with: the resources' settings, the ports, the clock and the abort signal.
 * The daemon builds one at startup.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { Role } from '../drbd/types.js';
import type { DrbdView } from '../drbd/view.js';
import type { Action } from '../engine/plan.js';
import type { OpOptions, StepOutcome } from './outcome.js';
import type { Budget } from './budget.js';
import type {
  DrbdPort,
  FenceOutcome,
  FencePort,
  Holder,
  Notifier,
  PeerRequester,
  SystemPort,
} from './ports.js';
import type { ResourceExecConfig } from './resource-config.js';

export interface ExecutorContext {
  readonly resources: ReadonlyMap<string, ResourceExecConfig>;
  readonly drbd: DrbdPort;
  readonly system: SystemPort;
  readonly peer: PeerRequester;
  readonly fence: FencePort;
  readonly notifier: Notifier;
  /**
   * The DRBD view the daemon follows (events2, or the /proc/drbd poller). Steps read their DRBD
   * precondition from it instead of running status queries; without it every check is a fresh read.
   */
  readonly drbdView?: () => DrbdView;
  /** Monotonic clock for every deadline and wait. */
  readonly clock: Clock;
  /** Aborts the running action (daemon shutdown). */
  readonly signal?: AbortSignal;
  /** The executor's child logger (`logger.child({ module: 'executor' })`); one line per action. */
  readonly logger?: Logger;
  /** Budget for a whole fence-peer action (ms); the chain's handlers have their own timeouts inside it. */
  readonly fenceTimeoutMs: number;
  /** Budget for handing one notification to the notifier (ms). Default 10 s. */
  readonly notifyTimeoutMs?: number;
  /** This node's name, passed to the on-demote-failure handler. */
  readonly localNode?: string;
}

export type ActionStatus = 'ok' | 'failed' | 'timeout' | 'skipped-precondition';

/** What running one action produced, for the next observation, the journal, logs and pages. */
export interface ActionResult {
  readonly action: Action;
  readonly status: ActionStatus;
  /** True when the next tick may run the same action again without risk. */
  readonly retrySafe: boolean;
  /** Stable error kind (null when ok). */
  readonly errorKind: string | null;
  readonly detail: string;
  /** Measured on the executor's clock. */
  readonly durationMs: number;
  /** Processes that held the mount point (umount with on-busy-umount), for logs and pages. */
  readonly holders?: readonly Holder[];
  /** The fence handler chain's per-handler results (fence-peer). */
  readonly fence?: FenceOutcome;
}

/** What a step returns before the executor adds the action and the duration. */
export type StepResult = (
  | StepOutcome
  | { readonly status: 'skipped-precondition'; readonly detail: string; readonly retrySafe?: boolean }
) & {
  readonly holders?: readonly Holder[];
  readonly fence?: FenceOutcome;
};

export const skipped = (detail: string): StepResult => ({ status: 'skipped-precondition', detail });

/** What a step gets: the context, the resource's settings (null for node-level actions) and its budget. */
export interface StepEnv {
  readonly ctx: ExecutorContext;
  readonly budget: Budget;
  /**
   * Roles the DRBD commands of this plan established (`primary`/`secondary` exited 0), by resource:
   * the command's own result, which the view shows only once its events2 line has been read.
   */
  readonly roles: Map<string, Role>;
}

export type { OpOptions };
