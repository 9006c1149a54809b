/**
 * When the engine next needs to decide although nothing is observed to change: the earliest moment a
 * waiting rule's time runs out (fence delay, dead time, initdead, failback delay, the first DRBD view's
 * bound, a backoff or yield ending, a waiting peer request's bound). The cycle wakes exactly then, besides waking on every event. Waking
 * for a wait that no longer applies costs one decision and changes nothing. Pure.
 */
import type { EngineMemory } from './memory.js';
import type { Observation } from './observation.js';
import { PEER_REQUEST_WAIT_MS } from './peer-requests.js';
import type { EnginePolicy } from './policy.js';

export function nextDecisionAtMs(
  obs: Observation,
  memory: EngineMemory,
  policy: EnginePolicy,
  firstDrbdViewWaitMs: number,
): number | null {
  const at: (number | null)[] = [];
  const start = obs.startup.daemonStartMs;
  if (!obs.drbdObserved) at.push(start + firstDrbdViewWaitMs);
  if (!memory.startupDone)
    at.push(start + (obs.startup.degradedShutdown ? policy.degradedInitdeadMs : policy.initdeadMs));
  if (memory.peerLostSinceMs !== null)
    at.push(memory.peerLostSinceMs + policy.fenceDelayMs, memory.peerLostSinceMs + policy.deadtimeMs);
  at.push(memory.fence.nextAttemptMs);
  for (const rm of Object.values(memory.resources)) {
    at.push(rm.nextAttemptMs, rm.outdateNextMs, rm.yieldUntilMs);
    if (rm.failbackSinceMs !== null) at.push(rm.failbackSinceMs + policy.failbackDelayMs);
    if (rm.releaseRequestedAtMs !== null) at.push(rm.releaseRequestedAtMs + policy.yieldMs);
    if (rm.takeoverRequestedAtMs !== null) at.push(rm.takeoverRequestedAtMs + policy.yieldMs);
  }
  for (const r of memory.peerRequests ?? []) at.push(r.atMs + PEER_REQUEST_WAIT_MS);
  let best: number | null = null;
  for (const t of at) if (t !== null && t > obs.nowMs && (best === null || t < best)) best = t;
  return best;
}
