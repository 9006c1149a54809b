/**
 * The per-resource rules, in their fixed order (docs/decisions.md, "Rule order"). Each returns a verdict:
 * a reason code, the resource's actions, facts, and a memory patch. Pure: no I/O, no clock, no logging.
 */
import { assertNever } from '../common/result.js';
import type { Facts } from './decision.js';
import type { ResourceMemory } from './memory.js';
import type { Action } from './plan.js';
import type { ReasonCode } from './reasons.js';
import { REASONS } from './reasons.js';
import { completionSequence, releaseSequence, takeoverSequence } from './sequences.js';
import type { ResourceContext } from './view.js';
import { diskFailed, drbdLostPeer, stateFingerprint } from './view.js';

export interface Verdict {
  readonly reason: ReasonCode;
  readonly plan: readonly Action[];
  readonly facts?: Facts;
  /** This resource needs the node-level fence handler chain to run (combined into one fence-peer action). */
  readonly wantsFence?: boolean;
  readonly patch?: Partial<ResourceMemory>;
}

const v = (
  reason: ReasonCode,
  plan: readonly Action[] = [],
  extra: Omit<Verdict, 'reason' | 'plan'> = {},
): Verdict => ({
  reason,
  plan,
  ...extra,
});

/** Maintenance on this node or in the peer's last report (stale too: a peer under maintenance may be rebooting). */
export function maintenanceOn(c: Pick<ResourceContext, 'obs'>): boolean {
  return c.obs.intents.maintenance || c.obs.peer.report?.maintenance === true;
}

/** Split-brain signals: DRBD's, the peer's, or both nodes Primary by fresh reports. */
function splitBrainSignal(c: ResourceContext): boolean {
  return (
    c.res.splitBrain ||
    c.peerRes?.splitBrain === true ||
    (c.localPrimary && c.peerRes?.role === 'Primary') ||
    (c.localPrimary && c.d.peerRole === 'Primary')
  );
}

/** Takeover while the peer is reachable: when DRBD is disconnected and the peer's disk could still be
 * promoted, have it outdated first (SAFETY.md, "Resource-level fencing"). */
function takeoverWithPeerReachable(c: ResourceContext): Action[] {
  const name = c.res.name;
  const peerDiskPromotable = c.peerRes?.disk === 'UpToDate' || c.peerRes?.disk === 'Consistent';
  const prefix: Action[] = !c.linked && peerDiskPromotable ? [{ kind: 'outdate-peer', resource: name }] : [];
  return [...prefix, ...takeoverSequence(name, c.policy.fsck)];
}

function yielding(c: ResourceContext): boolean {
  return c.rm.yieldUntilMs !== null && c.obs.nowMs < c.rm.yieldUntilMs;
}

/** After a release to the peer: stay out of the election for yieldMs; the plan also asked the peer to take over. */
function yieldPatch(c: ResourceContext): Partial<ResourceMemory> {
  return {
    yieldUntilMs: c.obs.nowMs + c.policy.yieldMs,
    failbackSinceMs: null,
    takeoverRequestedAtMs: c.obs.nowMs,
  };
}

/** Gating rules that come before anything else; null when none applies. */
function gate(c: ResourceContext): Verdict | null {
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

/** Local disk failure (SAFETY.md, "When the local disk fails"). */
function diskRule(c: ResourceContext): Verdict | null {
  if (!diskFailed(c.d)) return null;
  const name = c.res.name;
  if (!c.localPrimary) return v('DISK_FAILED_SECONDARY');
  const peerCan =
    c.report !== null &&
    !c.report.standby &&
    c.peerRes?.disk === 'UpToDate' &&
    c.linked &&
    c.peerRes.role !== 'Primary';
  if (peerCan) {
    return v(
      'DISK_FAILED_HANDOVER',
      [...releaseSequence(name), { kind: 'request-peer-takeover', resource: name }],
      {
        patch: yieldPatch(c),
      },
    );
  }
  return v('DISK_FAILED_NO_PEER');
}

/** Requests the peer sent for this resource. */
function peerRequestRule(c: ResourceContext): Verdict | null {
  const name = c.res.name;
  const reqs = c.obs.peerRequests.filter((r) => r.resource === name);
  if (reqs.length === 0) return null;
  if (reqs.some((r) => r.kind === 'outdate')) {
    // SAFETY: a Primary is never outdated (DRBD refuses too, rc 17); a Secondary answers so the peer may write alone.
    if (c.localPrimary) return v('REFUSE_OUTDATE_PRIMARY');
    const plan: Action[] =
      c.d.disk === 'UpToDate' || c.d.disk === 'Consistent' ? [{ kind: 'outdate-local', resource: name }] : [];
    return v('ANSWER_OUTDATE_REQUEST', plan);
  }
  if (reqs.some((r) => r.kind === 'release') && c.localPrimary) {
    const facts = releasePrechecks(c);
    if (facts.ok === true) {
      return v('PEER_REQUEST_RELEASE', releaseSequence(name), { facts, patch: yieldPatch(c) });
    }
    return v('PEER_REQUEST_RELEASE_REFUSED', [], { facts });
  }
  if (reqs.some((r) => r.kind === 'takeover') && !c.localPrimary) {
    const facts = acquirePrechecks(c, false);
    if (facts.ok === true && !c.peerPrimary) {
      return v('PEER_REQUEST_TAKEOVER', takeoverWithPeerReachable(c), {
        facts,
        patch: { yieldUntilMs: null },
      });
    }
    return v('PEER_REQUEST_TAKEOVER_REFUSED', [], { facts: { ...facts, peerPrimary: c.peerPrimary } });
  }
  return null;
}

/** Pre-checks for handing the resource to the peer: reachable, UpToDate, in sync, not in standby. */
function releasePrechecks(c: ResourceContext): Record<string, string | number | boolean | null> {
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
function acquirePrechecks(
  c: ResourceContext,
  requireSync: boolean,
): Record<string, string | number | boolean | null> {
  const peerReachable = c.report !== null;
  const upToDate = c.d.disk === 'UpToDate';
  const inSync = !requireSync || c.d.cstate === 'Connected';
  const standby = c.obs.intents.standby;
  return { ok: peerReachable && upToDate && inSync && !standby, peerReachable, upToDate, inSync, standby };
}

/** Operator intents: switchover and standby. */
function intentRule(c: ResourceContext): Verdict | null {
  const name = c.res.name;
  const sw = c.obs.intents.switchovers.find((s) => s.resource === name);
  if (sw !== undefined) {
    if (sw.to === c.obs.self) {
      if (c.localPrimary) return v('SWITCHOVER_DONE');
      const facts = acquirePrechecks(c, true);
      if (facts.ok !== true) return v('SWITCHOVER_REFUSED', [], { facts });
      if (c.peerPrimary) {
        const asked = c.rm.releaseRequestedAtMs;
        if (asked !== null && c.obs.nowMs - asked < c.policy.yieldMs)
          return v('SWITCHOVER_WAIT_PEER_RELEASE');
        return v('SWITCHOVER_REQUEST_RELEASE', [{ kind: 'request-peer-release', resource: name }], {
          patch: { releaseRequestedAtMs: c.obs.nowMs },
        });
      }
      // SAFETY: "Two primaries" - the peer is Secondary by DRBD and by its own fresh report.
      if (c.d.peerRole === 'Secondary' && c.peerRes?.role === 'Secondary') {
        return v('SWITCHOVER_TAKEOVER', takeoverSequence(name, c.policy.fsck), {
          patch: { releaseRequestedAtMs: null, yieldUntilMs: null },
        });
      }
      return v('SWITCHOVER_WAIT_PEER_RELEASE');
    }
    if (sw.to === c.peerName) {
      if (!c.localPrimary) {
        if (c.peerPrimary) return v('SWITCHOVER_DONE');
        // A peer that went silent after the handover is handled by the failover rules (with proof).
        if (c.silent) return null;
        // Both Secondary: the peer's election may still pick this node, so ask it explicitly (not more
        // often than every yieldMs) and stay out of the election meanwhile.
        const asked = c.rm.takeoverRequestedAtMs;
        if (asked !== null && c.obs.nowMs - asked < c.policy.yieldMs)
          return v('SWITCHOVER_WAIT_PEER_TAKEOVER');
        return v('SWITCHOVER_REQUEST_TAKEOVER', [{ kind: 'request-peer-takeover', resource: name }], {
          patch: { takeoverRequestedAtMs: c.obs.nowMs, yieldUntilMs: c.obs.nowMs + c.policy.yieldMs },
        });
      }
      const facts = releasePrechecks(c);
      if (facts.ok !== true) return v('SWITCHOVER_REFUSED', [], { facts });
      return v(
        'SWITCHOVER_RELEASE',
        [...releaseSequence(name), { kind: 'request-peer-takeover', resource: name }],
        {
          facts,
          patch: yieldPatch(c),
        },
      );
    }
    return v('SWITCHOVER_REFUSED', [], { facts: { unknownTarget: sw.to } });
  }
  if (c.obs.intents.standby) {
    if (!c.localPrimary) return v('STANDBY_HOLD');
    const facts = releasePrechecks(c);
    if (facts.ok !== true) return v('STANDBY_NO_PEER', [], { facts });
    return v(
      'STANDBY_RELEASE',
      [...releaseSequence(name), { kind: 'request-peer-takeover', resource: name }],
      {
        facts,
        patch: yieldPatch(c),
      },
    );
  }
  return null;
}

/** Node-level fence state as seen by a resource that needs proof. */
function fenceGate(c: ResourceContext): Verdict | null {
  const fence = c.memory.fence;
  if (c.nodeFenceInFlight) return v('FENCE_IN_PROGRESS');
  if (fence.nextAttemptMs !== null && c.obs.nowMs < fence.nextAttemptMs) {
    return v('FENCE_FAILED_BACKOFF', [], {
      facts: { fenceFailures: fence.failures, retryInMs: fence.nextAttemptMs - c.obs.nowMs },
    });
  }
  return null;
}

/** This node is Primary. */
function primaryRule(c: ResourceContext): Verdict {
  const name = c.res.name;
  const complete =
    !c.res.mounted || !c.res.servicesUp ? completionSequence(name, c.policy.fsck, c.res.mounted) : [];
  if (c.silent) {
    if (c.linked) return v('PRIMARY_PEER_SILENT_CONNECTED', complete);
    // The survivor keeps running; under stonith it fences at once (the Secondary waits the fence delay, so
    // the Primary wins a fence race).
    // SAFETY: "Startup" - a restarted daemon that has not heard its peer yet does not fence on that
    // silence alone; it waits the startup phase out like a Secondary would (it keeps running meanwhile).
    const wantsFence =
      c.policy.fencing === 'stonith' &&
      c.memory.startupDone &&
      c.memory.fence.status !== 'succeeded' &&
      fenceGate(c) === null;
    return v('PRIMARY_SURVIVOR', complete, {
      wantsFence,
      facts: { fencing: c.policy.fencing, fenced: c.memory.fence.status === 'succeeded' },
    });
  }
  if (!c.linked) {
    // SAFETY: "Resource-level fencing" - the reachable peer's disk is outdated before writing on alone.
    const reconnect: Action[] =
      c.d.cstate === 'StandAlone' && !c.res.splitBrain ? [{ kind: 'connect', resource: name }] : [];
    const peerDisk = c.peerRes?.disk ?? null;
    const peerHarmless = peerDisk !== null && peerDisk !== 'UpToDate' && peerDisk !== 'Consistent';
    if (c.rm.peerOutdated || peerHarmless) {
      return v('PRIMARY_REPL_LOST_PEER_OUTDATED', [...complete, ...reconnect], { facts: { peerDisk } });
    }
    if (c.rm.outdateNextMs !== null && c.obs.nowMs < c.rm.outdateNextMs) {
      const wantsFence =
        c.policy.fencing === 'stonith' &&
        c.memory.startupDone &&
        c.memory.fence.status !== 'succeeded' &&
        fenceGate(c) === null;
      return v('OUTDATE_PEER_FAILED', complete, {
        wantsFence,
        facts: { outdateFailures: c.rm.outdateFailures, retryInMs: c.rm.outdateNextMs - c.obs.nowMs },
      });
    }
    return v('OUTDATE_PEER_REPL_LOST', [{ kind: 'outdate-peer', resource: name }, ...complete], {
      facts: { peerDisk },
    });
  }
  if (c.rm.peerOutdated && c.d.peerDisk === 'UpToDate' && c.d.cstate === 'Connected') {
    return v('PEER_RESYNCED_UNFENCED', complete, { patch: { peerOutdated: false } });
  }
  if (complete.length > 0) return v('COMPLETE_TAKEOVER', complete);
  return v('STEADY_PRIMARY_HERE');
}

/** The agreed tie-break: preferred node, else the last Primary, else the lower node name. Pure. */
export function elect(
  self: string,
  selfCandidate: boolean,
  peer: string,
  peerCandidate: boolean,
  preferred: string | null,
  lastPrimary: string | null,
): { readonly winner: string | null; readonly by: 'preferred' | 'last-primary' | 'name' | 'only' | 'none' } {
  const candidates = [...(selfCandidate ? [self] : []), ...(peerCandidate ? [peer] : [])];
  if (candidates.length === 0) return { winner: null, by: 'none' };
  if (candidates.length === 1) return { winner: candidates[0] ?? null, by: 'only' };
  if (preferred !== null && candidates.includes(preferred)) return { winner: preferred, by: 'preferred' };
  if (lastPrimary !== null && candidates.includes(lastPrimary))
    return { winner: lastPrimary, by: 'last-primary' };
  return { winner: self < peer ? self : peer, by: 'name' };
}

/** This node is Secondary (or Unknown) and the peer is reachable. */
function secondaryPeerReachable(c: ResourceContext): Verdict {
  if (c.report === null || c.peerRes === null) return v('HOLD_PEER_UNCERTAIN');
  if (c.peerPrimary) {
    if (!c.linked) return v('HOLD_PEER_REACHABLE_REPL_LOST');
    return failbackRule(c) ?? v('STEADY_PRIMARY_THERE', [], { patch: { failbackSinceMs: null } });
  }
  const selfCandidate = c.d.disk === 'UpToDate' && !c.obs.intents.standby && !yielding(c);
  const peerCandidate = c.peerRes.disk === 'UpToDate' && !c.report.standby && !c.peerRes.splitBrain;
  // The last Primary counts only when both nodes remember the same one: a node that restarted (empty
  // memory) would otherwise disagree with its peer and each would elect the other forever.
  const agreedLastPrimary =
    c.rm.lastPrimary !== null && c.peerRes.lastPrimary === c.rm.lastPrimary ? c.rm.lastPrimary : null;
  const e = elect(
    c.obs.self,
    selfCandidate,
    c.peerName,
    peerCandidate,
    c.policy.preferredNode,
    agreedLastPrimary,
  );
  const facts = { elected: e.winner, by: e.by, selfCandidate, peerCandidate };
  if (e.winner === c.obs.self) {
    const plan = takeoverWithPeerReachable(c);
    if (plan[0]?.kind === 'outdate-peer') return v('ELECTED_OUTDATE_PEER_FIRST', plan, { facts });
    return v(startupWindow(c) ? 'STARTUP_ELECT' : 'ELECTED_TAKEOVER', plan, { facts });
  }
  if (e.winner === c.peerName) return v('STEADY_SECONDARY_PEER_ELECTED', [], { facts });
  if (c.d.disk !== 'UpToDate') return v('REFUSE_NOT_UPTODATE', [], { facts: { disk: c.d.disk } });
  if (c.obs.intents.standby) return v('STANDBY_HOLD', [], { facts });
  if (yielding(c)) return v('YIELD_TO_PEER', [], { facts });
  return v('HOLD_NO_CANDIDATE', [], { facts });
}

/** Within the startup window (initdead not yet over since the daemon started). */
function startupWindow(c: ResourceContext): boolean {
  const wait = c.obs.startup.degradedShutdown ? c.policy.degradedInitdeadMs : c.policy.initdeadMs;
  return c.obs.nowMs - c.obs.startup.daemonStartMs < wait;
}

/** Failback: only with a preferred node, when this (preferred) node is back, UpToDate and in sync. */
function failbackRule(c: ResourceContext): Verdict | null {
  if (c.policy.preferredNode !== c.obs.self) return null;
  // An operator's switchover away from the preferred node holds as long as its intent is kept.
  if (c.obs.intents.switchovers.some((s) => s.resource === c.res.name && s.to !== c.obs.self)) return null;
  const ready =
    c.d.disk === 'UpToDate' &&
    c.d.cstate === 'Connected' &&
    c.d.peerDisk === 'UpToDate' &&
    !c.obs.intents.standby;
  if (!ready) return null;
  const since = c.rm.failbackSinceMs ?? c.obs.nowMs;
  const stableMs = c.obs.nowMs - since;
  if (stableMs < c.policy.failbackDelayMs) {
    return v('FAILBACK_WAIT_STABLE', [], { facts: { stableMs }, patch: { failbackSinceMs: since } });
  }
  const asked = c.rm.releaseRequestedAtMs;
  if (asked !== null && c.obs.nowMs - asked < c.policy.yieldMs) {
    return v('FAILBACK_WAIT_STABLE', [], {
      facts: { stableMs, requested: true },
      patch: { failbackSinceMs: since },
    });
  }
  return v('FAILBACK_REQUEST_RELEASE', [{ kind: 'request-peer-release', resource: c.res.name }], {
    facts: { stableMs },
    patch: { failbackSinceMs: since, releaseRequestedAtMs: c.obs.nowMs },
  });
}

/** This node is Secondary and the peer is silent on every link. */
function secondaryPeerSilent(c: ResourceContext): Verdict {
  // SAFETY: "Two kinds of evidence" - while DRBD reports the peer Primary or Connected, no takeover.
  if (c.d.peerRole === 'Primary') return v('HOLD_PEER_PRIMARY');
  if (c.linked) return v('HOLD_PEER_CONNECTED');
  if (!drbdLostPeer(c.d)) return v('HOLD_PEER_CONNECTED');
  // SAFETY: "Startup" - never promote on silence alone; wait for the peer up to (degraded-)initdead.
  if (!c.memory.startupDone) return v('STARTUP_WAIT_PEER');
  // SAFETY: "Stale data promoted" - never promote a disk that is not UpToDate.
  if (c.d.disk !== 'UpToDate') return v('REFUSE_NOT_UPTODATE', [], { facts: { disk: c.d.disk } });
  if (c.obs.intents.standby) return v('STANDBY_HOLD');
  const lostSince = c.memory.peerLostSinceMs ?? c.obs.nowMs;
  const lostForMs = c.obs.nowMs - lostSince;
  const name = c.res.name;
  // SAFETY: "Unknown is never dead" - takeover from an unreachable peer only with proof per policy.
  switch (c.policy.fencing) {
    case 'stonith': {
      if (c.memory.fence.status === 'succeeded') {
        return v('TAKEOVER_FENCED', takeoverSequence(name, c.policy.fsck), { facts: { lostForMs } });
      }
      const g = fenceGate(c);
      if (g !== null) return g;
      if (lostForMs < c.policy.fenceDelayMs) {
        return v('WAIT_FENCE_DELAY', [], { facts: { lostForMs, fenceDelayMs: c.policy.fenceDelayMs } });
      }
      return v('FENCE_PEER', [], { wantsFence: true, facts: { lostForMs } });
    }
    case 'resource-only':
      return v('REFUSE_NO_PROOF_RESOURCE_ONLY', [], { facts: { lostForMs } });
    case 'none': {
      if (!c.policy.acceptRisk) return v('REFUSE_NO_PROOF_NO_FENCING', [], { facts: { lostForMs } });
      if (lostForMs < c.policy.deadtimeMs) {
        return v('WAIT_DEADTIME', [], { facts: { lostForMs, deadtimeMs: c.policy.deadtimeMs } });
      }
      return v('TAKEOVER_ACCEPT_RISK', takeoverSequence(name, c.policy.fsck), { facts: { lostForMs } });
    }
    default:
      return assertNever(c.policy.fencing, 'fencing policy');
  }
}

/**
 * Soft verdicts: refusals and "done" answers to intents and peer requests. They never displace what the
 * Primary / Secondary rules must do (outdating the peer, fencing, a takeover with proof): they are the
 * decision only when those rules have nothing to do.
 */
const SOFT: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'SWITCHOVER_DONE',
  'SWITCHOVER_REFUSED',
  'STANDBY_NO_PEER',
  'PEER_REQUEST_RELEASE_REFUSED',
  'PEER_REQUEST_TAKEOVER_REFUSED',
  'REFUSE_OUTDATE_PRIMARY',
]);

/** Soft verdicts answering a one-shot peer request: their page goes out even when the base rule wins. */
const SOFT_ONE_SHOT: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'PEER_REQUEST_RELEASE_REFUSED',
  'PEER_REQUEST_TAKEOVER_REFUSED',
  'REFUSE_OUTDATE_PRIMARY',
]);

function quiet(b: Verdict): boolean {
  return b.plan.length === 0 && b.wantsFence !== true && REASONS[b.reason].severity === 'info';
}

/** The Primary / Secondary rules, after gates, disk failure, peer requests and intents. */
function baseRules(c: ResourceContext): Verdict {
  if (c.localPrimary) return primaryRule(c);
  if (c.silent) return secondaryPeerSilent(c);
  if (!c.obs.peer.reachable) return v('HOLD_PEER_UNCERTAIN');
  return secondaryPeerReachable(c);
}

function combineSoft(c: ResourceContext, soft: Verdict): Verdict {
  const base = baseRules(c);
  if (quiet(base)) return soft;
  const info = REASONS[soft.reason];
  const page: Action[] =
    SOFT_ONE_SHOT.has(soft.reason) && info.event !== null
      ? [{ kind: 'notify', event: info.event, resource: c.res.name, message: `${c.res.name}: ${info.node}` }]
      : [];
  return {
    ...base,
    plan: [...page, ...base.plan],
    facts: { ...soft.facts, ...base.facts, alsoDecided: soft.reason },
  };
}

/**
 * Decides one resource with DRBD present. Rule order: gates (split-brain, maintenance, stall, in-flight,
 * escalations, backoff), disk failure, peer requests, operator intents, then the Primary / Secondary rules.
 */
export function resourceRules(c: ResourceContext): Verdict {
  const g = gate(c);
  if (g !== null) return g;
  const lifted: Partial<ResourceMemory> =
    c.rm.blockedFingerprint !== null || (c.rm.demoteFailed && !c.localPrimary)
      ? { blockedFingerprint: null, demoteFailed: false, failures: 0 }
      : {};
  const special = diskRule(c) ?? peerRequestRule(c) ?? intentRule(c);
  const verdict =
    special === null ? baseRules(c) : SOFT.has(special.reason) ? combineSoft(c, special) : special;
  return { ...verdict, patch: { ...lifted, ...verdict.patch } };
}
