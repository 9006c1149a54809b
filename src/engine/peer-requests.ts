/**
 * The peer's release and takeover requests across decisions. A request is judged on this node's view,
 * which can lag the peer by an event or a heartbeat: a takeover asked for the instant the peer demoted
 * still sees it Primary here. Such a request waits (PEER_REQUEST_*_WAIT_VIEW) and is judged again on
 * every decision until it is accepted or finally refused, at most PEER_REQUEST_WAIT_MS after it
 * arrived. The engine keeps the waiting requests in its memory, so the journal holds them and `replay`
 * judges them again exactly. Pure.
 */
import type { ResourceDecision } from './decision.js';
import type { EngineMemory } from './memory.js';
import type { Observation, PeerRequest } from './observation.js';
import type { ReasonCode } from './reasons.js';

/** How long a peer request may wait for this node's view to catch up before it is finally refused. */
export const PEER_REQUEST_WAIT_MS = 5_000;

/** Reasons that leave a request to be judged again: it waits for the view, or the resource is busy. */
const KEEP: ReadonlySet<string> = new Set<ReasonCode>([
  'PEER_REQUEST_TAKEOVER_WAIT_VIEW',
  'PEER_REQUEST_RELEASE_WAIT_VIEW',
  'HOLD_ACTION_IN_FLIGHT',
  'STALL_REVERIFY',
]);

/**
 * The requests to judge now: the waiting ones from memory and the new ones. A repeated request does not
 * restart the wait: the first arrival bounds it.
 */
export function requestsToJudge(obs: Observation, memory: EngineMemory): PeerRequest[] {
  const out: PeerRequest[] = [...(memory.peerRequests ?? [])];
  for (const r of obs.peerRequests)
    if (!out.some((x) => x.kind === r.kind && x.resource === r.resource)) out.push(r);
  return out;
}

/** The requests still waiting after this decision (kept in memory for the next one). */
export function requestsStillWaiting(
  judged: readonly PeerRequest[],
  decisions: readonly ResourceDecision[],
  nowMs: number,
): PeerRequest[] {
  return judged.filter((req) => {
    if (req.kind === 'outdate' || nowMs >= req.atMs + PEER_REQUEST_WAIT_MS) return false;
    const d = decisions.find((x) => x.resource === req.resource);
    // A soft wait displaced by a rule that had to act still waits (combineSoft names it `alsoDecided`).
    return d !== undefined && (KEEP.has(d.reason) || KEEP.has(String(d.facts.alsoDecided)));
  });
}
