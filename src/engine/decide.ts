/**
 * `decide(observation, memory, policy)`: the engine. Pure and deterministic: no I/O, no clock reads, no
 * logging; the same input always gives a deep-equal output, and the input is never mutated.
 */
import type { Action } from './plan.js';
import type { DecideOutput, Decision, Facts, ResourceDecision } from './decision.js';
import type { EngineMemory, FenceMemory, ResourceMemory } from './memory.js';
import { INITIAL_FENCE, resourceMemory } from './memory.js';
import type { Observation, ResourceObservation } from './observation.js';
import type { EnginePolicy } from './policy.js';
import type { ReasonCode } from './reasons.js';
import { REASONS, severityRank } from './reasons.js';
import { nextDecisionAtMs } from './next-decision.js';
import { maintenanceNotice, reminderNotices } from './notices.js';
import { requestsStillWaiting, requestsToJudge } from './peer-requests.js';
import { absorbResults } from './results.js';
import type { Verdict } from './rules/index.js';
import { resourceRules } from './rules/index.js';
import { safetyGate } from './safety-gate.js';
import { peerSilent, replicationLinked, resourceContext } from './view.js';

/** Reasons that do not count as a new state for notifications (they pass while something else holds). */
const TRANSPARENT: ReadonlySet<ReasonCode> = new Set<ReasonCode>(['HOLD_ACTION_IN_FLIGHT', 'STALL_REVERIFY']);

/**
 * How long after the daemon starts a DRBD view that has not arrived yet is waited for before DRBD counts
 * as unavailable (and pages). The first events2 dump normally comes within a second.
 */
export const FIRST_DRBD_VIEW_WAIT_MS = 10_000;

/** DRBD has not been observed yet and the start-up bound has not passed: unknown, not unavailable. */
function awaitingFirstDrbdView(obs: Observation): boolean {
  return obs.drbdObserved === false && obs.nowMs - obs.startup.daemonStartMs < FIRST_DRBD_VIEW_WAIT_MS;
}

interface ResourceOutcome {
  readonly decision: ResourceDecision;
  readonly memory: ResourceMemory;
  readonly wantsFence: boolean;
}

function decideResource(
  obs: Observation,
  policy: EnginePolicy,
  memory: EngineMemory,
  res: ResourceObservation,
): ResourceOutcome {
  const rm = resourceMemory(memory, res.name);
  const d = res.drbd;
  let verdict: Verdict;
  let lastPrimary = rm.lastPrimary;
  let linkedNow = false;
  let localPrimary = false;
  if (awaitingFirstDrbdView(obs)) {
    verdict = { reason: 'STARTUP_WAIT_DRBD', plan: [], facts: { drbdObserved: false } };
  } else if (!obs.drbdAvailable || d === null || d.cstate === 'Unconfigured') {
    verdict = { reason: 'DRBD_UNAVAILABLE', plan: [], facts: { drbdAvailable: obs.drbdAvailable } };
  } else {
    const c = resourceContext(obs, policy, memory, rm, res, d);
    verdict = safetyGate(c, resourceRules(c));
    linkedNow = c.linked;
    localPrimary = c.localPrimary;
    if (c.localPrimary) lastPrimary = obs.self;
    else if (c.peerPrimary) lastPrimary = obs.peer.name;
  }
  const reason = verdict.reason;
  const info = REASONS[reason];
  const entering = !TRANSPARENT.has(reason) && rm.lastReason !== reason;
  const notify: Action[] =
    entering && info.event !== null
      ? [{ kind: 'notify', event: info.event, resource: res.name, message: `${res.name}: ${info.node}` }]
      : [];
  const failback = reason === 'FAILBACK_WAIT_STABLE' || reason === 'FAILBACK_REQUEST_RELEASE';
  const next: ResourceMemory = {
    ...rm,
    ...verdict.patch,
    lastReason: TRANSPARENT.has(reason) ? rm.lastReason : reason,
    lastPrimary,
    failbackSinceMs: failback ? (verdict.patch?.failbackSinceMs ?? rm.failbackSinceMs) : null,
    // The resource-level fence belongs to one replication loss: a non-Primary forgets it, and a linked
    // Primary keeps it only until the peer is UpToDate again (PEER_RESYNCED_UNFENCED clears it).
    ...(localPrimary ? {} : { peerOutdated: false }),
    ...(linkedNow ? { outdateFailures: 0, outdateNextMs: null, outdateLastError: null } : {}),
  };
  const facts: Facts = {
    role: d?.role ?? null,
    disk: d?.disk ?? null,
    cstate: d?.cstate ?? null,
    peerRole: d?.peerRole ?? null,
    peerDisk: d?.peerDisk ?? null,
    peerReachable: obs.peer.reachable,
    ...verdict.facts,
  };
  return {
    decision: { resource: res.name, reason, facts, plan: [...notify, ...verdict.plan] },
    memory: next,
    wantsFence: verdict.wantsFence === true,
  };
}

function startupWaitMs(obs: Observation, policy: EnginePolicy): number {
  return obs.startup.degradedShutdown ? policy.degradedInitdeadMs : policy.initdeadMs;
}

/** Node-level bookkeeping before the resource rules: peer loss episode, fence reset, startup phase. */
function nodeMemory(obs: Observation, policy: EnginePolicy, memory: EngineMemory): EngineMemory {
  const silent = peerSilent(obs);
  // SAFETY: "Monotonic time" - after a stall the loss episode restarts from fresh evidence.
  const peerLostSinceMs = !silent
    ? null
    : memory.peerLostSinceMs === null || obs.stalled
      ? obs.nowMs
      : memory.peerLostSinceMs;
  // A fence proves the peer was off once; when it is heard again, on a heartbeat link or by DRBD linking
  // up with it, the proof is void. SAFETY: "Unknown is never dead" - a stale proof must never answer for a
  // later loss (found by the cluster simulation: a peer that came back while the heartbeat links were cut
  // was taken for still fenced, and the Primary wrote on alone next to it).
  // Heartbeats sent before the fence keep the peer "reachable" for up to the dead time after it: only a
  // heartbeat newer than the fence is contact (else each tick re-fenced the peer, found by the netns tier).
  const drbdSawPeer = obs.resources.some((r) => r.drbd !== null && replicationLinked(r.drbd));
  const fencedAt = memory.fence.status === 'succeeded' ? (memory.fence.succeededAtMs ?? null) : null;
  const heardSinceFence =
    obs.peer.reachable &&
    (fencedAt === null || obs.peer.lastHeardMs === null || obs.peer.lastHeardMs > fencedAt);
  const fence: FenceMemory = heardSinceFence || drbdSawPeer ? INITIAL_FENCE : memory.fence;
  const startupDone =
    memory.startupDone ||
    obs.peer.everHeard ||
    obs.nowMs - obs.startup.daemonStartMs >= startupWaitMs(obs, policy);
  return { ...memory, peerLostSinceMs, fence, startupDone };
}

function nodeNotices(obs: Observation, memory: EngineMemory): Action[] {
  if (memory.peerWasReachable === true && !obs.peer.reachable) {
    return [
      {
        kind: 'notify',
        event: 'peer-lost',
        resource: null,
        message: `peer ${obs.peer.name} unreachable on every link`,
      },
    ];
  }
  if (memory.peerWasReachable === false && obs.peer.reachable) {
    return [
      {
        kind: 'notify',
        event: 'peer-back',
        resource: null,
        message: `peer ${obs.peer.name} reachable again`,
      },
    ];
  }
  return [];
}

/**
 * Decides what this node does now. Pure: reads only its arguments, returns a new memory (the given one
 * is never mutated). The plan is ordered: node notifications, node-level fencing, then resources in
 * configuration order with releases before takeovers.
 */
/** Why the node fence runs, as the handler's SENTINEL_REASON and the journal say it. */
function fenceReason(obs: Observation, outcomes: readonly ResourceOutcome[]): string {
  // A reachable peer is node-fenced only when its DRBD failed to outdate a disk (OUTDATE_PEER_FAILED).
  if (obs.peer.reachable) {
    const names = outcomes.filter((o) => o.wantsFence).map((o) => o.decision.resource);
    return `peer ${obs.peer.name} reachable, but its DRBD failed to outdate ${names.join(', ')}`;
  }
  return `peer ${obs.peer.name} lost on every heartbeat link and DRBD disconnected`;
}

export function decide(observation: Observation, memory: EngineMemory, policy: EnginePolicy): DecideOutput {
  const obs = observation;
  const absorbed = absorbResults(obs, policy, memory);
  const mem = nodeMemory(obs, policy, absorbed.memory);
  const judged = requestsToJudge(obs, mem);
  // The rules read the peer's requests from the observation: give them the waiting ones too.
  const judging: Observation = (mem.peerRequests ?? []).length === 0 ? obs : { ...obs, peerRequests: judged };
  const outcomes = obs.resources.map((res) => decideResource(judging, policy, mem, res));

  const fence = mem.fence;
  const fenceFree =
    fence.status !== 'succeeded' &&
    !obs.inFlight.includes(null) &&
    !(fence.nextAttemptMs !== null && obs.nowMs < fence.nextAttemptMs);
  const fenceAction: Action[] =
    fenceFree && outcomes.some((o) => o.wantsFence)
      ? [{ kind: 'fence-peer', reason: fenceReason(obs, outcomes) }]
      : [];

  const releases = outcomes.filter((o) => !o.decision.plan.some((a) => a.kind === 'promote'));
  const takeovers = outcomes.filter((o) => o.decision.plan.some((a) => a.kind === 'promote'));
  const plan: Action[] = [
    ...absorbed.notices,
    ...nodeNotices(obs, mem),
    ...maintenanceNotice(obs, mem),
    ...reminderNotices(
      obs,
      outcomes.map((o) => o.decision),
    ),
    ...fenceAction,
    ...releases.flatMap((o) => o.decision.plan),
    ...takeovers.flatMap((o) => o.decision.plan),
  ];

  const resources: Record<string, ResourceMemory> = { ...mem.resources };
  for (const o of outcomes) resources[o.decision.resource] = o.memory;

  let top: ResourceDecision | null = null;
  for (const o of outcomes) {
    if (
      top === null ||
      severityRank(REASONS[o.decision.reason].severity) > severityRank(REASONS[top.reason].severity)
    ) {
      top = o.decision;
    }
  }
  const nodeFacts: Facts = {
    self: obs.self,
    peer: obs.peer.name,
    peerReachable: obs.peer.reachable,
    peerLostSinceMs: mem.peerLostSinceMs,
    fence: fence.status,
    startupDone: mem.startupDone,
  };
  const decision: Decision = {
    plan,
    reason: top?.reason ?? 'NO_RESOURCES',
    facts: top === null ? nodeFacts : { ...nodeFacts, resource: top.resource, ...top.facts },
    resources: outcomes.map((o) => o.decision),
  };
  const waiting = requestsStillWaiting(judged, decision.resources, obs.nowMs);
  const memoryAfter: EngineMemory = {
    ...mem,
    peerWasReachable: obs.peer.reachable,
    resources,
    maintenance: obs.intents.maintenance,
    ...(waiting.length > 0 || mem.peerRequests !== undefined ? { peerRequests: waiting } : {}),
  };
  return {
    decision,
    memory: memoryAfter,
    nextDecisionAtMs: nextDecisionAtMs(obs, memoryAfter, policy, FIRST_DRBD_VIEW_WAIT_MS),
  };
}
