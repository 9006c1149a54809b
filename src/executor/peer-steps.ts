/**
 * Steps that deal with the peer and with DRBD's replication: outdate (local and peer), connect,
 * request-peer-release, fence-peer, plus notify and the on-demote-failure handler.
 */
import type { NotifyEventName } from '../common/notify-events.js';
import { LINKED_CONNECTION_STATES } from '../drbd/types.js';
import type { StepEnv, StepResult } from './context.js';
import { skipped } from './context.js';
import { stepFailed, stepOk } from './outcome.js';
import type { PeerRequestOutcome } from './ports.js';
import type { ResourceExecConfig } from './resource-config.js';
import { freshStatus, viewStatus } from './drbd-checks.js';
import { queryFailed } from './takeover-steps.js';

export async function outdateLocal(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  // The view suffices: DRBD itself refuses to outdate a Primary, and outdating a disk that became
  // Outdated a moment ago is a no-op; a fresh read only without a view.
  const viewed = viewStatus(env, res);
  const st = viewed !== null ? { ok: true as const, value: viewed } : await freshStatus(env, res);
  if (!st.ok) return queryFailed(st.error);
  // DRBD refuses to outdate a Primary (8.4: exit 17, no message); that is a decision for the engine.
  if (st.value.role === 'Primary') return skipped('this node is Primary');
  const promotable = st.value.disks.filter((d) => d === 'UpToDate' || d === 'Consistent');
  if (promotable.length === 0) return stepOk(`disk already ${st.value.disks.join('/') || 'absent'}`);
  return env.ctx.drbd.outdate(res.name, env.budget.op());
}

function fromPeer(outcome: PeerRequestOutcome, what: string): StepResult {
  switch (outcome.status) {
    case 'ok':
      return stepOk(`${what}: ${outcome.detail}`);
    case 'failed':
      return stepFailed(outcome.errorKind, `${what}: ${outcome.detail}`, true);
    case 'unreachable':
      return stepFailed('peer-unreachable', `${what}: ${outcome.detail}`, true);
  }
}

export async function outdatePeer(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  const deadline = env.ctx.clock.nowMs() + env.budget.remainingMs();
  const r = await env.ctx.peer.outdatePeer(res.name, deadline, env.budget.signal);
  return fromPeer(r, `outdate peer's disk of ${res.name}`);
}

export async function requestPeerRelease(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  const deadline = env.ctx.clock.nowMs() + env.budget.remainingMs();
  const r = await env.ctx.peer.requestRelease(res.name, deadline, env.budget.signal);
  return fromPeer(r, `peer release of ${res.name}`);
}

export async function requestPeerTakeover(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  const deadline = env.ctx.clock.nowMs() + env.budget.remainingMs();
  const r = await env.ctx.peer.requestTakeover(res.name, deadline, env.budget.signal);
  return fromPeer(r, `peer takeover of ${res.name}`);
}

export async function connect(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  // Only a StandAlone in the view is confirmed by a fresh read before `connect` (the view may lag a
  // reconnect DRBD started itself); every other state needs no command at all.
  const viewed = viewStatus(env, res);
  const st =
    viewed !== null && viewed.cstate !== 'StandAlone'
      ? { ok: true as const, value: viewed }
      : await freshStatus(env, res);
  if (!st.ok) return queryFailed(st.error);
  const cs = st.value.cstate;
  if (LINKED_CONNECTION_STATES.has(cs)) return stepOk(`already ${cs}`);
  if (cs === 'WFConnection' || cs === 'WFReportParams') return stepOk(`already ${cs}`);
  // Only StandAlone needs an explicit connect; the other states are DRBD reconnecting by itself.
  if (cs !== 'StandAlone') return stepOk(`${cs}: DRBD is reconnecting by itself`);
  // SAFETY (rule 4): plain `connect`, never `--discard-my-data`.
  return env.ctx.drbd.connect(res.name, env.budget.op());
}

export async function fencePeer(env: StepEnv, reason: string): Promise<StepResult> {
  const outcome = await env.ctx.fence.fencePeer(reason, env.budget.signal);
  switch (outcome.status) {
    case 'fenced':
      return { ...stepOk(outcome.detail), fence: outcome };
    case 'failed':
      // SAFETY ("Fence failure stops the takeover"): the plan stops here; the engine retries with backoff.
      return { ...stepFailed('fence-failed', outcome.detail, true), fence: outcome };
    case 'timeout':
      return { status: 'timeout', retrySafe: true, detail: outcome.detail, fence: outcome };
  }
}

export async function notify(
  env: StepEnv,
  event: NotifyEventName,
  resource: string | null,
  message: string,
): Promise<StepResult> {
  return env.ctx.notifier.notify(event, resource, message);
}

export async function demoteFailureHandler(env: StepEnv, res: ResourceExecConfig): Promise<StepResult> {
  if (res.onDemoteFailure === null || res.onDemoteFailure.length === 0)
    return skipped('no on-demote-failure handler configured');
  const envVars: Record<string, string> = {
    SENTINEL_EVENT: 'demote-failed',
    SENTINEL_RESOURCE: res.name,
    SENTINEL_DEVICE: res.device,
    DRBD_RESOURCE: res.name,
  };
  if (env.ctx.localNode !== undefined) envVars.SENTINEL_NODE = env.ctx.localNode;
  return env.ctx.system.runHandler(res.onDemoteFailure, envVars, env.budget.op());
}
