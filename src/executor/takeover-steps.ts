/**
 * The takeover steps: promote, fsck, mount, start services, add floating addresses. Each checks its
 * precondition right before it acts (DRBD's from drbd-checks.ts: the plan's own results, the view,
 * one fresh read where safety needs it) and is idempotent (already done = ok).
 */
import type { StepEnv, StepResult } from './context.js';
import { skipped } from './context.js';
import { freshStatus, roleHere, viewStatus } from './drbd-checks.js';
import { stepFailed, stepOk } from './outcome.js';
import type { QueryFailure } from './ports.js';
import type { ResourceExecConfig } from './resource-config.js';

/** A failed precondition query: nothing was done, so a retry is safe. */
export function queryFailed(f: QueryFailure): StepResult {
  return f.timedOut
    ? { status: 'timeout', retrySafe: true, detail: f.detail }
    : stepFailed(f.errorKind, f.detail, true);
}

export async function promote(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  if (env.roles.get(res.name) === 'Primary' || viewStatus(env, res)?.role === 'Primary')
    return stepOk('already Primary');
  // SAFETY (rules 1 and 2): the disk and peer checks are made on one fresh read, never on the view:
  // the view may not have read the last events2 line yet (a disk outdated a moment ago, the peer's
  // promotion just before the link broke), and DRBD alone would let a Consistent disk through once
  // its fence-peer handler answered. One process (drbdsetup events2 --now), then the command.
  const st = await freshStatus(env, res);
  if (!st.ok) return queryFailed(st.error);
  if (st.value.role === 'Primary') return stepOk('already Primary');
  // SAFETY (rule 2, "Stale data promoted"): only an UpToDate disk is ever promoted, on a fresh query.
  const stale = st.value.disks.filter((d) => d !== 'UpToDate');
  if (st.value.disks.length === 0 || stale.length > 0)
    return skipped(`local disk is ${st.value.disks.join('/') || 'unknown'}, not UpToDate`);
  // SAFETY (rule 1, "Two primaries"): never promote while DRBD reports the peer Primary.
  if (st.value.peerRole === 'Primary') return skipped('peer is Primary');
  // SAFETY (rule 4): plain `primary`, never `--force`.
  const r = await env.ctx.drbd.primary(res.name, env.budget.op());
  // The command's exit status is the proof the next steps use: the view shows it one events2 line later.
  if (r.status === 'ok') env.roles.set(res.name, 'Primary');
  return r;
}

/** Precondition shared by fsck, mount and the addresses: this node is Primary for the resource. */
async function requirePrimary(env: StepEnv, res: ResourceExecConfig): Promise<StepResult | null> {
  const role = await roleHere(env, res);
  if (!role.ok) return queryFailed(role.error);
  return role.value === 'Primary' ? null : skipped(`not Primary here (role ${role.value})`);
}

export async function fsck(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  if (res.mount === null || !res.mount.fsck) return stepOk('no fsck configured');
  const notPrimary = await requirePrimary(env, res);
  if (notPrimary) return notPrimary;
  const ms = await env.ctx.system.mountState(res.device, res.mount.point);
  if (!ms.ok) return queryFailed(ms.error);
  switch (ms.value.kind) {
    case 'mounted-here':
      // Never fsck a mounted file system; a mounted one was checked before it was mounted.
      return stepOk('already mounted; fsck not run');
    case 'conflict':
      return skipped(ms.value.detail);
    case 'not-mounted':
      return env.ctx.system.fsck(res.device, res.mount.fstype, env.budget.op());
  }
}

export async function mount(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  if (res.mount === null) return stepOk('no mount configured');
  const notPrimary = await requirePrimary(env, res);
  if (notPrimary) return notPrimary;
  const ms = await env.ctx.system.mountState(res.device, res.mount.point);
  if (!ms.ok) return queryFailed(ms.error);
  switch (ms.value.kind) {
    case 'mounted-here':
      return stepOk(`already mounted on ${res.mount.point}`);
    case 'conflict':
      return skipped(ms.value.detail);
    case 'not-mounted':
      return env.ctx.system.mount(
        res.device,
        res.mount.point,
        res.mount.fstype,
        res.mount.options,
        env.budget.op(),
      );
  }
}

export async function startServices(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  if (res.services.length === 0) return stepOk('no services configured');
  if (res.mount !== null) {
    // Services write to the file system: starting them on an empty mount point would write to the root fs.
    const ms = await env.ctx.system.mountState(res.device, res.mount.point);
    if (!ms.ok) return queryFailed(ms.error);
    if (ms.value.kind !== 'mounted-here') return skipped(`${res.mount.point} is not mounted`);
  }
  const started: string[] = [];
  for (const unit of res.services) {
    const active = await env.ctx.system.serviceActive(unit, env.budget.op());
    if (!active.ok) return queryFailed(active.error);
    if (active.value) continue;
    const r = await env.ctx.system.startService(unit, env.budget.op());
    if (r.status !== 'ok')
      return { ...r, detail: `${r.detail} (started before it: ${started.join(', ') || 'none'})` };
    started.push(unit);
  }
  return stepOk(started.length > 0 ? `started ${started.join(', ')}` : 'all services already active');
}

export async function addAddresses(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  if (res.addresses.length === 0) return stepOk('no addresses configured');
  const notPrimary = await requirePrimary(env, res);
  if (notPrimary) return notPrimary;
  const notes: string[] = [];
  for (const a of res.addresses) {
    const present = await env.ctx.system.addressPresent(a, env.budget.op());
    if (!present.ok) return queryFailed(present.error);
    if (present.value) {
      notes.push(`${a.address} already on ${a.device}`);
      continue;
    }
    const added = await env.ctx.system.addAddress(a, env.budget.op());
    if (added.status !== 'ok') return added;
    const arp = await env.ctx.system.announceAddress(a, env.budget.op());
    notes.push(`${a.address}/${a.prefix} added on ${a.device} (${arp.detail})`);
  }
  return stepOk(notes.join('; '));
}
