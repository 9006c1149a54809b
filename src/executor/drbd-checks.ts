/**
 * Where a step's DRBD precondition comes from: the role the plan's own `drbdadm primary|secondary`
 * established (its exit status), the DRBD view the daemon follows (events2 / the /proc/drbd poller),
 * and only where those cannot settle it, one fresh read (`DrbdPort.status`: one `drbdsetup events2
 * --now` run in the daemon). Before, every step ran three status queries of its own.
 */
import type { Result } from '../common/result.js';
import { ok } from '../common/result.js';
import type { Role } from '../drbd/types.js';
import type { StepEnv } from './context.js';
import type { DrbdResourceStatus, QueryFailure } from './ports.js';
import type { ResourceExecConfig } from './resource-config.js';
import { statusFromView } from './view-status.js';

/** The resource in the daemon's DRBD view; null without a view, or when the view cannot say. */
export function viewStatus(env: StepEnv, res: ResourceExecConfig): DrbdResourceStatus | null {
  const view = env.ctx.drbdView?.();
  return view === undefined ? null : statusFromView(view, res.name, res.device);
}

/** One fresh read of the resource, for the checks that must not rest on the view. */
export function freshStatus(
  env: StepEnv,
  res: ResourceExecConfig,
): Promise<Result<DrbdResourceStatus, QueryFailure>> {
  return env.ctx.drbd.status(res.name, env.budget.op());
}

/**
 * This node's role for the resource, as cheaply as it can be known: what this plan's promote or
 * demote made it; else Primary when the view shows it (only this daemon's executor changes the role,
 * and a demote of its own would be in `roles`); else a fresh read, since a view that does not show
 * Primary may just not have read the line of a promotion yet, and a step skipped on that would wait
 * for the next decision.
 */
export async function roleHere(env: StepEnv, res: ResourceExecConfig): Promise<Result<Role, QueryFailure>> {
  const known = env.roles.get(res.name);
  if (known !== undefined) return ok(known);
  if (viewStatus(env, res)?.role === 'Primary') return ok('Primary');
  const st = await freshStatus(env, res);
  return st.ok ? ok(st.value.role) : st;
}
