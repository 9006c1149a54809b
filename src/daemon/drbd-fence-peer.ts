import type { Clock } from '../common/clock.js';
import type { EngineMemory, Observation } from '../engine/index.js';
import type { FencePort, PeerRequester } from '../executor/index.js';
import {
  fenceDelayMs,
  outdateAnswerOfPeerOutcome,
  serveFencePeer,
  type FencePeerAnswer,
  type FencingPolicy,
} from '../fencing/index.js';
import type { NodeReport } from '../membership/index.js';
import type { ConnectionState } from '../drbd/types.js';
import { LINKED_CONNECTION_STATES } from '../drbd/types.js';
import { FENCE_PEER_EXIT } from '../fencing/index.js';

/** Log reason codes of the daemon's fence-peer answers (docs/executor-and-fencing.md). */
export const FENCE_PEER_CODES = {
  UNKNOWN_RESOURCE: 'FENCE_PEER_UNKNOWN_RESOURCE',
  STILL_CONNECTED: 'FENCE_PEER_STILL_CONNECTED',
} as const;

/** What screening a fence-peer call needs: the managed resources and this node's DRBD connection state. */
export interface FencePeerScreenContext {
  /** The configured resources (`resources[].name`). */
  readonly managed: readonly string[];
  /** The connection state in the daemon's DRBD view, null when it has none. */
  readonly viewCstate: (resource: string) => ConnectionState | null;
  /** A fresh query of the connection state (drbdadm), null when it failed. */
  readonly freshCstate: (resource: string) => Promise<ConnectionState | null>;
}

/**
 * Refuses a fence-peer call that proves no need (exit 1, nothing asked, nothing fenced): a resource this
 * daemon does not manage, or one whose DRBD still replicates to the peer (a stale or bogus call; DRBD
 * calls the handler only after it lost the connection). A view that shows the link up is confirmed by a
 * fresh query first, since the view may lag DRBD by an event. Null: go on.
 *
 * SAFETY ("Unknown is never dead"): node fencing only ever follows from a proven need about a managed
 * resource; with `resource-and-stonith` an exit 1 keeps I/O frozen, which is the safe side.
 */
export async function screenFencePeer(
  resource: string,
  c: FencePeerScreenContext,
): Promise<(FencePeerAnswer & { readonly code: string }) | null> {
  if (!c.managed.includes(resource))
    return {
      exitCode: FENCE_PEER_EXIT.FAILURE,
      code: FENCE_PEER_CODES.UNKNOWN_RESOURCE,
      message: `resource ${resource} is not managed by drbd-sentinel (configured: ${c.managed.join(', ') || 'none'})`,
    };
  const seen = c.viewCstate(resource);
  if (seen === null || !LINKED_CONNECTION_STATES.has(seen)) return null;
  const fresh = await c.freshCstate(resource);
  if (fresh !== null && !LINKED_CONNECTION_STATES.has(fresh)) return null;
  return {
    exitCode: FENCE_PEER_EXIT.FAILURE,
    code: FENCE_PEER_CODES.STILL_CONNECTED,
    message: `${resource}: DRBD here still reports ${fresh ?? seen}; no replication drop to fence for`,
  };
}

/** What answering DRBD's fence-peer handler needs from the running daemon. */
export interface DrbdFencePeerContext {
  readonly memory: EngineMemory;
  readonly observation: Observation | null;
  readonly peerReachable: boolean;
  readonly peerReport: NodeReport | null;
  readonly policy: FencingPolicy;
  /** `fencing.delay`: how long a node with fewer Primaries waits before fencing (the fence race). */
  readonly delayMs: number;
  readonly deadtimeMs: number;
  readonly localNode: string;
  readonly peerNode: string;
  readonly clock: Clock;
  readonly peer: PeerRequester;
  readonly fence: FencePort;
  readonly signal?: AbortSignal;
  /** The node fencing done here is proof for the engine, exactly as its own fence-peer action. */
  readonly onFenced: () => void;
}

/**
 * The daemon's answer to DRBD's `fence-peer` handler for `resource`: the peer's disk outdated over the
 * heartbeat links, else node fencing per policy, as a DRBD exit code. When the engine has just fenced the
 * silent peer for this very takeover, that proof answers at once (7: peer fenced).
 */
export async function answerDrbdFencePeer(
  resource: string,
  c: DrbdFencePeerContext,
): Promise<FencePeerAnswer> {
  if (c.memory.fence.status === 'succeeded' && !c.peerReachable)
    return { exitCode: 7, message: `${resource}: ${c.peerNode} was fenced by this node` };
  const localPrimaries = c.observation?.resources.filter((x) => x.drbd?.role === 'Primary').length ?? 0;
  const peerPrimaries = c.peerReport?.resources.filter((x) => x.role === 'Primary').length ?? 0;
  return serveFencePeer(resource, {
    policy: c.policy,
    clock: c.clock,
    nodeFenceDelayMs: fenceDelayMs({
      localPrimaries,
      peerPrimaries,
      delayMs: c.delayMs,
      localNode: c.localNode,
      peerNode: c.peerNode,
    }),
    outdatePeer: async (r) => {
      // The requester waits for a peer that stays reachable; this deadline is only its first patience.
      const o = await c.peer.outdatePeer(r, c.clock.nowMs() + c.deadtimeMs * 2, c.signal);
      return { answer: outdateAnswerOfPeerOutcome(o), detail: o.detail };
    },
    fenceNode: (reason) => c.fence.fencePeer(reason, c.signal),
    onFenced: () => c.onFenced(),
  });
}
