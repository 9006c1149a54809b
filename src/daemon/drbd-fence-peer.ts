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
      const o = await c.peer.outdatePeer(r, c.clock.nowMs() + c.deadtimeMs * 2, c.signal);
      return { answer: outdateAnswerOfPeerOutcome(o), detail: o.detail };
    },
    fenceNode: (reason) => c.fence.fencePeer(reason, c.signal),
    onFenced: () => c.onFenced(),
  });
}
