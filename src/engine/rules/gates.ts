/** Gating rules that come before all others: split-brain, maintenance, stall, in-flight, escalation, backoff. Pure. */
import type { ResourceContext } from '../view.js';
import { stateFingerprint } from '../view.js';
import type { Verdict } from './verdict.js';
import { v } from './verdict.js';

/** Maintenance on this node or in the peer's last report (stale too: a peer under maintenance may be rebooting). */
export function maintenanceOn(c: Pick<ResourceContext, 'obs'>): boolean {
  return c.obs.intents.maintenance || c.obs.peer.report?.maintenance === true;
}

/** Split-brain signals: DRBD's, the peer's, or both nodes Primary by fresh reports. */
export function splitBrainSignal(c: ResourceContext): boolean {
  return (
    c.res.splitBrain ||
    c.peerRes?.splitBrain === true ||
    (c.localPrimary && c.peerRes?.role === 'Primary') ||
    (c.localPrimary && c.d.peerRole === 'Primary')
  );
}

/** Gating rules that come before anything else; null when none applies. */
export function gate(c: ResourceContext): Verdict | null {
  const { rm, obs } = c;
  // SAFETY: "Split-brain freezes the resource" - no automatic action at all.
  if (splitBrainSignal(c)) return v('FROZEN_SPLIT_BRAIN', [], { patch: { frozen: true } });
  if (rm.frozen) {
    if (c.linked) return v('SPLIT_BRAIN_RESOLVED', [], { patch: { frozen: false } });
    return v('FROZEN_SPLIT_BRAIN');
  }
  if (maintenanceOn(c)) {
    // Entering and leaving maintenance is the operator's acknowledgement: escalations are lifted.
    return v('MAINTENANCE', [], {
      patch: { blockedFingerprint: null, failures: 0, nextAttemptMs: null, failbackSinceMs: null },
    });
  }
  // SAFETY: "Monotonic time" - after a stall, re-verify the world before acting on it.
  if (obs.stalled) return v('STALL_REVERIFY', [], { patch: { failbackSinceMs: null } });
  // SAFETY: "One decision at a time" - actions on one resource never overlap.
  if (obs.inFlight.includes(c.res.name)) return v('HOLD_ACTION_IN_FLIGHT');
  if (rm.demoteFailed && c.localPrimary) {
    // SAFETY: "Two primaries" - still Primary after a failed demote: page and run the handler once, nothing else.
    const first = rm.lastReason !== 'ESCALATE_DEMOTE_FAILED' && c.policy.onDemoteFailure;
    return v(
      'ESCALATE_DEMOTE_FAILED',
      first ? [{ kind: 'demote-failure-handler', resource: c.res.name }] : [],
    );
  }
  if (rm.blockedFingerprint !== null) {
    if (rm.blockedFingerprint === stateFingerprint(obs, c.d)) return v('ESCALATE_ACTION_FAILED');
    return null; // the state changed: the escalation is lifted by the patch applied in decideResource
  }
  if (rm.nextAttemptMs !== null && obs.nowMs < rm.nextAttemptMs) {
    return v('RETRY_BACKOFF', [], {
      facts: { retryInMs: rm.nextAttemptMs - obs.nowMs, failures: rm.failures },
    });
  }
  return null;
}
