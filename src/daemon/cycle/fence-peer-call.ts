/**
 * DRBD's `fence-peer` handler reaching the running cycle: screened (unmanaged resource, replication
 * still up), then answered from what the cycle knows, with the node fencing it may do counted as the
 * engine's proof. Every answer is logged; a failure (I/O stays frozen) also pages.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { DrbdView } from '../../drbd/index.js';
import type { ActionResultObservation, EngineMemory, Observation } from '../../engine/index.js';
import type { DrbdPort, FencePort, PeerRequester, ResourceExecConfig } from '../../executor/index.js';
import type { FencePeerAnswer, FencingPolicy } from '../../fencing/index.js';
import type { PeerView } from '../../membership/index.js';
import type { NotifyEvent } from '../../notify/index.js';
import { answerDrbdFencePeer, screenFencePeer } from '../drbd-fence-peer.js';
import { deviceOfResource } from '../resource-devices.js';

export interface FencePeerCallContext {
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly drbd: DrbdPort;
  readonly resources: ReadonlyMap<string, ResourceExecConfig>;
  readonly view: DrbdView;
  /** Read after the screening (which may query DRBD): the answer uses what is known then. */
  readonly now: () => { peerView: PeerView; memory: EngineMemory; observation: Observation | null };
  readonly policy: FencingPolicy;
  readonly fenceDelayMs: number;
  readonly deadtimeMs: number;
  readonly self: string;
  readonly peer: string;
  readonly requester: PeerRequester;
  readonly fence: FencePort;
  readonly notify: (event: NotifyEvent) => void;
  /** Node fencing done for this call: proof for the next decision. */
  readonly fenced: (result: ActionResultObservation) => void;
}

export async function answerFencePeerCall(
  resource: string,
  c: FencePeerCallContext,
): Promise<FencePeerAnswer> {
  const refused = await screenFencePeer(resource, {
    managed: [...c.resources.keys()],
    viewCstate: (name) => {
      const r = c.resources.get(name);
      return r === undefined ? null : (deviceOfResource(c.view, r)?.cstate ?? null);
    },
    freshCstate: async (name) => {
      const st = await c.drbd.status(name, { timeoutMs: 10_000, signal: c.signal });
      return st.ok ? st.value.cstate : null;
    },
  });
  if (refused !== null) {
    c.log.warn({ code: refused.code, resource, exitCode: refused.exitCode }, refused.message);
    return { exitCode: refused.exitCode, message: refused.message };
  }
  const { peerView, memory, observation } = c.now();
  const answer = await answerDrbdFencePeer(resource, {
    memory,
    observation,
    peerReachable: peerView.reachable,
    peerReport: peerView.report,
    policy: c.policy,
    delayMs: c.fenceDelayMs,
    deadtimeMs: c.deadtimeMs,
    localNode: c.self,
    peerNode: c.peer,
    clock: c.clock,
    peer: c.requester,
    fence: c.fence,
    signal: c.signal,
    onFenced: () =>
      c.fenced({
        kind: 'fence-peer',
        resource: null,
        outcome: 'ok',
        retrySafe: true,
        atMs: c.clock.nowMs(),
        errorKind: null,
      }),
  });
  if (answer.exitCode === 1) {
    // SAFETY: with resource-and-stonith DRBD keeps I/O frozen on exit 1; an operator must know.
    c.log.warn(
      { code: 'FENCE_PEER_FAILED', resource, exitCode: 1, message: answer.message },
      'fence-peer handler answered failure',
    );
    c.notify({ event: 'refused', resource, message: answer.message });
  } else
    c.log.info(
      { resource, exitCode: answer.exitCode, message: answer.message },
      'fence-peer handler answered',
    );
  return answer;
}
