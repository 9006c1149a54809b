/**
 * The last check on every resource plan, independent of the rules that built it (defence in depth): a
 * plan that would promote against SAFETY.md is replaced by a hold. If this ever fires, a rule has a bug;
 * the invariant tests assert the rules alone never need it.
 */
import { assertNever } from '../common/result.js';
import type { Verdict } from './rules/index.js';
import type { ResourceContext } from './view.js';
import { drbdLostPeer } from './view.js';

/** Why a promote in this context would break SAFETY.md; null when it is allowed. Pure. */
export function promoteViolation(c: ResourceContext): string | null {
  // SAFETY: "Stale data promoted".
  if (c.d.disk !== 'UpToDate') return 'local disk not UpToDate';
  // SAFETY: "Two primaries" / "Two kinds of evidence".
  if (c.d.peerRole === 'Primary') return 'DRBD reports the peer Primary';
  if (c.peerRes?.role === 'Primary') return 'the peer reports Primary';
  if (c.obs.peer.reachable) return null;
  // SAFETY: "Unknown is never dead" - an unreachable peer needs proof per policy.
  if (!c.silent || !drbdLostPeer(c.d)) return 'peer not reachable but not lost on every kind of evidence';
  switch (c.policy.fencing) {
    case 'stonith':
      return c.memory.fence.status === 'succeeded' ? null : 'peer unreachable and not fenced';
    case 'resource-only':
      return 'peer unreachable and policy resource-only';
    case 'none': {
      const lostFor = c.obs.nowMs - (c.memory.peerLostSinceMs ?? c.obs.nowMs);
      return c.policy.acceptRisk && lostFor >= c.policy.deadtimeMs
        ? null
        : 'peer unreachable without accepted risk';
    }
    default:
      return assertNever(c.policy.fencing, 'fencing policy');
  }
}

/** Applies the gate to a verdict. Pure. */
export function safetyGate(c: ResourceContext, verdict: Verdict): Verdict {
  if (!verdict.plan.some((a) => a.kind === 'promote')) return verdict;
  const violation = promoteViolation(c);
  if (violation === null) return verdict;
  return {
    reason: 'SAFETY_GATE_HOLD',
    plan: [],
    facts: { ...verdict.facts, safetyGate: violation, blockedReason: verdict.reason },
  };
}
