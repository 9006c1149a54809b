/**
 * DRBD's `fence-peer` handler reaching the running cycle. The engine's `answer` decides every step
 * (confirm the connection state, ask the peer to outdate, fence the node, exit with which code) from a
 * question that grows with what each step learned; this file only carries the steps out, at once (DRBD
 * has I/O frozen meanwhile: no waiting for a tick). Each question and answer is journaled by `judge`.
 * The node fencing done here counts as the engine's proof. Every answer is logged; a failure (I/O stays
 * frozen) also pages.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { DrbdView } from '../../drbd/index.js';
import type {
  ActionResultObservation,
  Answer,
  EngineMemory,
  FencePeerQuestion,
  FencingPolicy,
  Observation,
  Question,
} from '../../engine/index.js';
import { clockSleep } from '../../executor/budget.js';
import type { DrbdPort, FencePort, PeerRequester, ResourceExecConfig } from '../../executor/index.js';
import { outdateAnswerOfPeerOutcome, summarizeHandlers, type FencePeerAnswer } from '../../fencing/index.js';
import type { PeerView } from '../../membership/index.js';
import type { NotifyEvent } from '../../notify/index.js';
import { deviceOfResource } from '../resource-devices.js';

/** Refusals of a call that proves no need (unmanaged resource, replication still up): logged, not paged. */
const SCREENED: ReadonlySet<string> = new Set(['FENCE_PEER_UNKNOWN_RESOURCE', 'FENCE_PEER_STILL_CONNECTED']);

export interface FencePeerCallContext {
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly drbd: DrbdPort;
  readonly resources: ReadonlyMap<string, ResourceExecConfig>;
  readonly view: () => DrbdView;
  /** Read when the question is first put: the answer uses what is known then. */
  readonly now: () => { peerView: PeerView; memory: EngineMemory; observation: Observation | null };
  readonly policy: FencingPolicy;
  readonly fenceDelayMs: number;
  readonly deadtimeMs: number;
  readonly self: string;
  readonly peer: string;
  readonly requester: PeerRequester;
  readonly fence: FencePort;
  readonly notify: (event: NotifyEvent) => void;
  /** The engine's answer, journaled with its question. */
  readonly judge: (q: Question) => Answer;
  /** Node fencing done for this call: proof for the next decision. */
  readonly fenced: (result: ActionResultObservation) => void;
}

/** The question as first put: the managed resources, the DRBD view, the engine's memory and the peer. */
function firstQuestion(resource: string, c: FencePeerCallContext): FencePeerQuestion {
  const r = c.resources.get(resource);
  const { peerView, memory, observation } = c.now();
  return {
    question: 'fence-peer',
    resource,
    managed: [...c.resources.keys()],
    viewCstate: r === undefined ? null : (deviceOfResource(c.view(), r)?.cstate ?? null),
    peerFencedSilent: memory.fence.status === 'succeeded' && !peerView.reachable,
    policy: c.policy,
    localPrimaries: observation?.resources.filter((x) => x.drbd?.role === 'Primary').length ?? 0,
    peerPrimaries: peerView.report?.resources.filter((x) => x.role === 'Primary').length ?? 0,
    localNode: c.self,
    peerNode: c.peer,
    fenceDelayMs: c.fenceDelayMs,
  };
}

export async function answerFencePeerCall(
  resource: string,
  c: FencePeerCallContext,
): Promise<FencePeerAnswer> {
  let q = firstQuestion(resource, c);
  for (;;) {
    const a = c.judge(q);
    switch (a.step) {
      case 'exit':
        return finish(resource, a, c);
      case 'query-drbd': {
        const st = await c.drbd.status(resource, { timeoutMs: 10_000, signal: c.signal });
        q = { ...q, freshCstate: st.ok ? st.value.cstate : null };
        break;
      }
      case 'ask-outdate': {
        // The requester waits for a peer that stays reachable; this deadline is only its first patience.
        const o = await c.requester.outdatePeer(resource, c.clock.nowMs() + c.deadtimeMs * 2, c.signal);
        q = { ...q, outdate: { answer: outdateAnswerOfPeerOutcome(o), detail: o.detail } };
        break;
      }
      case 'fence-node': {
        if (a.delayMs > 0) await clockSleep(c.clock, a.delayMs, c.signal);
        const f = await c.fence.fencePeer(a.why, c.signal);
        if (f.status === 'fenced')
          c.fenced({
            kind: 'fence-peer',
            resource: null,
            outcome: 'ok',
            retrySafe: true,
            atMs: c.clock.nowMs(),
            errorKind: null,
          });
        q = {
          ...q,
          nodeFence: {
            fenced: f.status === 'fenced',
            detail: `${f.status}: ${summarizeHandlers(f.handlers)}`,
          },
        };
        break;
      }
      case 'reply':
      case 'outdate-local':
        // Answers to the peer's requests, never to a fence-peer question: a bug, and I/O stays frozen.
        return finish(
          resource,
          {
            reason: a.reason,
            step: 'exit',
            exitCode: 1,
            message: `${resource}: unexpected answer ${a.step}`,
          },
          c,
        );
    }
  }
}

function finish(
  resource: string,
  a: Extract<Answer, { step: 'exit' }>,
  c: FencePeerCallContext,
): FencePeerAnswer {
  if (SCREENED.has(a.reason)) {
    // A call that proves no need: nothing was asked or fenced, and DRBD never waits on such a call.
    c.log.warn({ code: a.reason, resource, exitCode: a.exitCode }, a.message);
  } else if (a.exitCode === 1) {
    // SAFETY: with resource-and-stonith DRBD keeps I/O frozen on exit 1; an operator must know.
    c.log.warn(
      { code: 'FENCE_PEER_FAILED', reason: a.reason, resource, exitCode: 1, message: a.message },
      'fence-peer handler answered failure',
    );
    c.notify({ event: 'refused', resource, message: a.message });
  } else
    c.log.info(
      { reason: a.reason, resource, exitCode: a.exitCode, message: a.message },
      'fence-peer handler answered',
    );
  return { exitCode: a.exitCode, message: a.message };
}
