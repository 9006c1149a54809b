/**
 * The release steps: remove addresses, stop services (reverse order), umount (with the busy-umount
 * policy), demote. Each re-checks its state right before it acts and is idempotent.
 */
import type { StepEnv, StepResult } from './context.js';
import { skipped } from './context.js';
import { formatHolders } from './fuser-output.js';
import { stepFailed, stepOk } from './outcome.js';
import type { Holder } from './ports.js';
import type { ResourceExecConfig } from './resource-config.js';
import { freshStatus, viewStatus } from './drbd-checks.js';
import { queryFailed } from './takeover-steps.js';

/** How often holders are polled while they get their SIGTERM grace period (ms). */
const HOLDER_POLL_MS = 100;
/** How long SIGKILLed holders get to disappear before the umount is retried anyway (ms). */
const AFTER_KILL_WAIT_MS = 2_000;

export async function removeAddresses(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  const notes: string[] = [];
  for (const a of res.addresses) {
    const present = await env.ctx.system.addressPresent(a, env.budget.op());
    if (!present.ok) return queryFailed(present.error);
    if (!present.value) continue;
    const r = await env.ctx.system.removeAddress(a, env.budget.op());
    if (r.status !== 'ok') return r;
    notes.push(`${a.address}/${a.prefix} removed from ${a.device}`);
  }
  return stepOk(notes.length > 0 ? notes.join('; ') : 'no addresses to remove');
}

export async function stopServices(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  const stopped: string[] = [];
  for (const unit of [...res.services].reverse()) {
    const active = await env.ctx.system.serviceActive(unit, env.budget.op());
    if (!active.ok) return queryFailed(active.error);
    if (!active.value) continue;
    const r = await env.ctx.system.stopService(unit, env.budget.op());
    if (r.status !== 'ok') return r;
    stopped.push(unit);
  }
  return stepOk(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'no service was active');
}

/** Waits on the budget's clock until none of `pids` is alive or `ms` passed; returns the survivors. */
async function waitForExit(env: StepEnv, pids: readonly number[], ms: number): Promise<number[]> {
  let waited = 0;
  let alive = pids.filter((p) => env.ctx.system.isAlive(p));
  while (alive.length > 0 && waited < ms && !env.budget.signal.aborted) {
    const step = Math.min(HOLDER_POLL_MS, ms - waited);
    await env.budget.sleep(step);
    waited += step;
    alive = alive.filter((p) => env.ctx.system.isAlive(p));
  }
  return alive;
}

/**
 * Ends the holders of a busy mount point: SIGTERM to all, a grace period, SIGKILL to survivors.
 * Returns a line for the log and page.
 */
async function killHolders(
  env: StepEnv,
  res: ResourceExecConfig,
  holders: readonly Holder[],
): Promise<string> {
  const sys = env.ctx.system;
  const reused: number[] = [];
  // Signal a PID only while it still runs the command fuser listed: a holder that exited may have
  // left its PID to an unrelated process.
  const stillHolder = (h: Holder): boolean => {
    const now = sys.processCommand?.(h.pid) ?? null;
    const same = now === null || h.command === '?' || now === h.command;
    if (!same && !reused.includes(h.pid)) reused.push(h.pid);
    return same;
  };
  const targets = holders.filter(stillHolder);
  const pids = targets.map((h) => h.pid);
  for (const pid of pids) sys.signal(pid, 'SIGTERM');
  const alive = await waitForExit(env, pids, res.killGraceMs);
  const survivors = targets.filter((h) => alive.includes(h.pid) && stillHolder(h)).map((h) => h.pid);
  for (const pid of survivors) sys.signal(pid, 'SIGKILL');
  const stuck = survivors.length > 0 ? await waitForExit(env, survivors, AFTER_KILL_WAIT_MS) : [];
  const parts = [`SIGTERM to ${pids.join(', ') || 'none'}`];
  if (reused.length > 0) parts.push(`not signalled (PID now runs another command): ${reused.join(', ')}`);
  if (survivors.length > 0) parts.push(`SIGKILL to ${survivors.join(', ')} after ${res.killGraceMs} ms`);
  if (stuck.length > 0) parts.push(`still alive: ${stuck.join(', ')}`);
  return parts.join('; ');
}

export async function umount(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  if (res.mount === null) return stepOk('no mount configured');
  const point = res.mount.point;
  const ms = await env.ctx.system.mountState(res.device, point);
  if (!ms.ok) return queryFailed(ms.error);
  switch (ms.value.kind) {
    case 'not-mounted':
      return stepOk(`${point} not mounted`);
    case 'conflict':
      // Not ours to unmount: something else is on the mount point, or our device is elsewhere.
      return skipped(ms.value.detail);
    case 'mounted-here':
      break;
  }
  const first = await env.ctx.system.umount(point, env.budget.op());
  if (first.status !== 'failed' || first.errorKind !== 'busy') return first;

  const found = await env.ctx.system.findHolders(point, env.budget.op());
  const holders = found.ok ? found.value : [];
  const listed = found.ok ? formatHolders(holders) || 'none found' : `unknown (${found.error.detail})`;
  if (res.onBusyUmount === 'refuse' || holders.length === 0) {
    const why = res.onBusyUmount === 'refuse' ? 'on-busy-umount: refuse' : 'no holder found to kill';
    return { ...stepFailed('busy', `${point} is busy (${why}); holders: ${listed}`, true), holders };
  }
  // SAFETY (rule 1): the old primary must stop writing before the peer may promote; ending the
  // holders is the configured way to get there (on-busy-umount: kill).
  const killed = await killHolders(env, res, holders);
  const second = await env.ctx.system.umount(point, env.budget.op());
  const detail = `${point} was busy; holders: ${listed}; ${killed}`;
  if (second.status === 'ok') return { ...stepOk(`${detail}; unmounted`), holders };
  return { ...second, detail: `${detail}; ${second.detail}`, holders };
}

export async function demote(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  // A view showing Primary goes straight to the command (`secondary` on a Secondary succeeds too).
  // "Already Secondary" is said only on a fresh read: a view that has not read a promotion yet must
  // never let the release end with this node still Primary (SAFETY rule 1).
  const known = env.roles.get(res.name) ?? viewStatus(env, res)?.role;
  if (known !== 'Primary') {
    const st = await freshStatus(env, res);
    if (!st.ok) return queryFailed(st.error);
    if (st.value.role === 'Secondary') return stepOk('already Secondary');
  }
  const r = await env.ctx.drbd.secondary(res.name, env.budget.op());
  if (r.status === 'ok') env.roles.set(res.name, 'Secondary');
  return r;
}
