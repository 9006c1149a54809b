/**
 * The verdict every rule returns, and helpers the rules share (pre-checks, takeover with a reachable peer,
 * yield, fence gate). Pure.
 */
import type { Facts } from '../decision.js';
import type { ResourceMemory } from '../memory.js';
import type { Action } from '../plan.js';
import type { ReasonCode } from '../reasons.js';
import { takeoverSequence } from '../sequences.js';
import type { ResourceContext } from '../view.js';

export interface Verdict {
  readonly reason: ReasonCode;
  readonly plan: readonly Action[];
  readonly facts?: Facts;
  /** This resource needs the node-level fence handler chain to run (combined into one fence-peer action). */
  readonly wantsFence?: boolean;
  readonly patch?: Partial<ResourceMemory>;
}

export const v = (
  reason: ReasonCode,
  plan: readonly Action[] = [],
  extra: Omit<Verdict, 'reason' | 'plan'> = {},
): Verdict => ({
  reason,
  plan,
  ...extra,
});

/** Takeover while the peer is reachable: when DRBD is disconnected and the peer's disk could still be
 * promoted, have it outdated first (SAFETY.md, "Resource-level fencing"). */
export function takeoverWithPeerReachable(c: ResourceContext): Action[] {
  const name = c.res.name;
  const peerDiskPromotable = c.peerRes?.disk === 'UpToDate' || c.peerRes?.disk === 'Consistent';
  const prefix: Action[] = !c.linked && peerDiskPromotable ? [{ kind: 'outdate-peer', resource: name }] : [];
  return [...prefix, ...takeoverSequence(name, c.policy.fsck)];
}

export function yielding(c: ResourceContext): boolean {
  return c.rm.yieldUntilMs !== null && c.obs.nowMs < c.rm.yieldUntilMs;
}

/** After a release to the peer: stay out of the election for yieldMs; the plan also asked the peer to take over. */
export function yieldPatch(c: ResourceContext): Partial<ResourceMemory> {
  return {
    yieldUntilMs: c.obs.nowMs + c.policy.yieldMs,
    failbackSinceMs: null,
    takeoverRequestedAtMs: c.obs.nowMs,
  };
}

/** Pre-checks for handing the resource to the peer: reachable, UpToDate, in sync, not in standby. */
export function releasePrechecks(c: ResourceContext): Record<string, string | number | boolean | null> {
  const peerReachable = c.report !== null;
  const peerUpToDate = c.peerRes?.disk === 'UpToDate';
  const inSync = c.d.cstate === 'Connected' && c.d.peerDisk === 'UpToDate';
  const peerStandby = c.report?.standby === true;
  return {
    ok: peerReachable && peerUpToDate && inSync && !peerStandby,
    peerReachable,
    peerUpToDate,
    inSync,
    peerStandby,
  };
}

/** Pre-checks for taking the resource while the peer is reachable. */
export function acquirePrechecks(
  c: ResourceContext,
  requireSync: boolean,
): Record<string, string | number | boolean | null> {
  const peerReachable = c.report !== null;
  const upToDate = c.d.disk === 'UpToDate';
  const inSync = !requireSync || c.d.cstate === 'Connected';
  const standby = c.obs.intents.standby;
  return { ok: peerReachable && upToDate && inSync && !standby, peerReachable, upToDate, inSync, standby };
}

/** Node-level fence state as seen by a resource that needs proof. */
export function fenceGate(c: ResourceContext): Verdict | null {
  const fence = c.memory.fence;
  if (c.nodeFenceInFlight) return v('FENCE_IN_PROGRESS');
  if (fence.nextAttemptMs !== null && c.obs.nowMs < fence.nextAttemptMs) {
    return v('FENCE_FAILED_BACKOFF', [], {
      facts: { fenceFailures: fence.failures, retryInMs: fence.nextAttemptMs - c.obs.nowMs },
    });
  }
  return null;
}
