/**
 * Runs a plan: the actions in order, each with a fresh precondition check, its own timeout on the
 * injected clock and the executor's abort signal; stops at the first action that is not `ok`. It
 * never decides: what to do about a failure is the engine's next decision (ARCHITECTURE.md).
 */
import { assertNever } from '../common/result.js';
import type { Role } from '../drbd/types.js';
import type { Action } from '../engine/plan.js';
import { withBudget } from './budget.js';
import type { ActionResult, ExecutorContext, StepEnv, StepResult } from './context.js';
import { stepFailed } from './outcome.js';
import * as peerSteps from './peer-steps.js';
import * as release from './release-steps.js';
import type { ResourceExecConfig } from './resource-config.js';
import * as takeover from './takeover-steps.js';

const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;
/** Extra budget of a umount with on-busy-umount: kill beyond the grace period (holder lookup, SIGKILL wait, second umount). */
const KILL_EXTRA_MS = 5_000;

/**
 * Actions whose failure does not stop the plan. Only `notify`: delivery is the notify hooks' job
 * (retried and de-duplicated there), and a webhook that is down must never hold back a failover.
 */
const NON_BLOCKING: ReadonlySet<Action['kind']> = new Set<Action['kind']>(['notify']);

/** Timeout budget of one action (ms). Pure. */
export function actionTimeoutMs(
  action: Action,
  res: ResourceExecConfig | null,
  ctx: ExecutorContext,
): number {
  if (action.kind === 'fence-peer') return ctx.fenceTimeoutMs;
  if (action.kind === 'notify') return ctx.notifyTimeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
  if (res === null) return DEFAULT_NOTIFY_TIMEOUT_MS;
  const t = res.timeouts;
  switch (action.kind) {
    case 'promote':
      return t.promoteMs;
    case 'demote':
      return t.demoteMs;
    case 'fsck':
      return t.fsckMs;
    case 'mount':
      return t.mountMs;
    case 'umount':
      return res.onBusyUmount === 'kill' ? t.umountMs + res.killGraceMs + KILL_EXTRA_MS : t.umountMs;
    case 'start-services':
    case 'stop-services':
      return t.servicesMs;
    case 'add-addresses':
    case 'remove-addresses':
    case 'outdate-local':
    case 'connect':
      return t.commandMs;
    case 'outdate-peer':
    case 'request-peer-release':
    case 'request-peer-takeover':
      return t.peerRequestMs;
    case 'demote-failure-handler':
      return t.demoteFailureHandlerMs;
    default:
      return assertNever(action, 'action');
  }
}

/** Whether an action cut off by its timeout may be run again by the next tick. */
function timeoutRetrySafe(action: Action): boolean {
  // An interrupted fsck leaves a file system an operator should look at; a handler may have rebooted half-way.
  return action.kind !== 'fsck' && action.kind !== 'demote-failure-handler';
}

function runStep(action: Action, res: ResourceExecConfig | null, env: StepEnv): Promise<StepResult> {
  if (action.kind === 'fence-peer') return peerSteps.fencePeer(env, action.reason);
  if (action.kind === 'notify') return peerSteps.notify(env, action.event, action.resource, action.message);
  if (res === null) return Promise.resolve(stepFailed('unknown-resource', 'no such resource', false));
  switch (action.kind) {
    case 'promote':
      return takeover.promote(env, res);
    case 'fsck':
      return takeover.fsck(env, res);
    case 'mount':
      return takeover.mount(env, res);
    case 'start-services':
      return takeover.startServices(env, res);
    case 'add-addresses':
      return takeover.addAddresses(env, res);
    case 'remove-addresses':
      return release.removeAddresses(env, res);
    case 'stop-services':
      return release.stopServices(env, res);
    case 'umount':
      return release.umount(env, res);
    case 'demote':
      return release.demote(env, res);
    case 'outdate-local':
      return peerSteps.outdateLocal(env, res);
    case 'outdate-peer':
      return peerSteps.outdatePeer(env, res);
    case 'request-peer-release':
      return peerSteps.requestPeerRelease(env, res);
    case 'request-peer-takeover':
      return peerSteps.requestPeerTakeover(env, res);
    case 'connect':
      return peerSteps.connect(env, res);
    case 'demote-failure-handler':
      return peerSteps.demoteFailureHandler(env, res);
    default:
      return assertNever(action, 'action');
  }
}

function resourceOf(
  action: Action,
  ctx: ExecutorContext,
): { res: ResourceExecConfig | null; missing: string | null } {
  if (action.kind === 'fence-peer') return { res: null, missing: null };
  if (action.kind === 'notify')
    return {
      res: action.resource === null ? null : (ctx.resources.get(action.resource) ?? null),
      missing: null,
    };
  const res = ctx.resources.get(action.resource) ?? null;
  return { res, missing: res === null ? action.resource : null };
}

/**
 * Runs one action: precondition, operation, timeout. Never throws. `roles` carries what the plan's
 * earlier DRBD commands established (runPlan shares one map across its actions).
 */
export async function runAction(
  action: Action,
  ctx: ExecutorContext,
  roles: Map<string, Role> = new Map(),
): Promise<ActionResult> {
  const started = ctx.clock.nowMs();
  const { res, missing } = resourceOf(action, ctx);
  const finish = (r: StepResult): ActionResult => {
    const result: ActionResult = {
      action,
      status: r.status,
      retrySafe: r.status === 'ok' ? true : (r.retrySafe ?? true),
      errorKind: r.status === 'failed' ? r.errorKind : r.status === 'ok' ? null : r.status,
      detail: r.detail,
      durationMs: ctx.clock.nowMs() - started,
      ...(r.holders !== undefined ? { holders: r.holders } : {}),
      ...(r.fence !== undefined ? { fence: r.fence } : {}),
    };
    const log = ctx.logger;
    const { action: _action, ...rest } = result;
    const facts = { action: action.kind, resource: 'resource' in action ? action.resource : null, ...rest };
    if (result.status === 'ok') log?.info(facts, 'action done');
    else log?.warn(facts, 'action not done');
    return result;
  };
  if (missing !== null)
    return finish(stepFailed('unknown-resource', `resource ${missing} is not configured`, false));

  const timeoutMs = actionTimeoutMs(action, res, ctx);
  const end = await withBudget(ctx.clock, timeoutMs, ctx.signal, (budget) =>
    runStep(action, res, { ctx, budget, roles }),
  );
  switch (end.kind) {
    case 'done':
      return finish(end.value);
    case 'timeout':
      return finish({
        status: 'timeout',
        retrySafe: timeoutRetrySafe(action),
        detail: `no result within ${timeoutMs} ms`,
      });
    case 'aborted':
      return finish(stepFailed('aborted', 'executor aborted (shutdown)', true));
    case 'threw':
      return finish(
        stepFailed(
          'internal',
          `bug: ${end.error instanceof Error ? end.error.message : String(end.error)}`,
          false,
        ),
      );
  }
}

/**
 * Runs `plan` in order and returns one result per action that ran. Stops after the first action
 * whose status is not `ok` (except `notify`, see NON_BLOCKING); the rest is not attempted.
 */
export async function runPlan(plan: readonly Action[], ctx: ExecutorContext): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  const roles = new Map<string, Role>();
  for (const action of plan) {
    const r = await runAction(action, ctx, roles);
    results.push(r);
    if (r.status !== 'ok' && !NON_BLOCKING.has(action.kind)) break;
  }
  return results;
}
