/**
 * The engine's answers to questions asked from outside the loop, which cannot wait for a tick: the peer's
 * `prepare-handover` and `outdate` requests and DRBD's `fence-peer` handler (DRBD has I/O frozen while it
 * waits). Each question is a plain snapshot (what the shell knows when it asks), each answer the next
 * step with a reason code; the shell carries the step out, asks again with what it learned, and journals
 * every question with its answer, so `replay` recomputes them as it does decisions. Pure.
 */
import type { ConnectionState, DiskState, Role } from '../drbd/types.js';
import { LINKED_CONNECTION_STATES } from '../drbd/types.js';
import { fenceDelayMs } from './fence-delay.js';
import {
  afterNodeFence,
  FENCE_PEER_EXIT,
  fencePeerStep,
  type FencePeerExitCode,
  type OutdateAnswer,
} from './fence-peer-exit.js';
import type { FencingPolicy } from './policy.js';

/** Reason codes of the answers (docs/decisions.md, "Answers outside the loop"). */
export const ANSWER_REASONS = {
  HANDOVER_READY: 'Ready to take the resource over: the local disk is UpToDate, no standby or maintenance.',
  HANDOVER_REFUSED_STANDBY: 'Refused: this node is in standby or maintenance.',
  HANDOVER_REFUSED_DISK: 'Refused: the local disk is not UpToDate.',
  REQUEST_UNKNOWN_RESOURCE: 'Refused: the resource is not configured here.',
  OUTDATE_REFUSED_PRIMARY:
    'Refused: this node is Primary for the resource; it never outdates a disk it serves.',
  OUTDATE_PROCEED: 'Outdate the local disk (disconnecting first if DRBD still shows the link up).',
  FENCE_PEER_UNKNOWN_RESOURCE: 'fence-peer for a resource drbd-sentinel does not manage: exit 1.',
  FENCE_PEER_CONFIRM_CSTATE: 'The view still shows the replication link up: confirm with a fresh DRBD query.',
  FENCE_PEER_STILL_CONNECTED:
    'DRBD here still replicates: a stale or bogus call, nothing to fence for: exit 1.',
  FENCE_PEER_ALREADY_FENCED: 'The engine fenced the silent peer for this very loss: exit 7 at once.',
  FENCE_PEER_ASK_OUTDATE: 'Ask the peer, over the heartbeat links, to outdate its disk.',
  FENCE_PEER_OUTDATE_ANSWERED: "The peer's outdate answer settles it: exit with DRBD's code.",
  FENCE_PEER_FENCE_NODE:
    'The outdate answer needs node fencing per policy: fence, after the fence delay when this node should lose the race.',
  FENCE_PEER_NODE_FENCED: 'Node fencing succeeded: exit 7.',
  FENCE_PEER_NODE_FENCE_FAILED: 'Node fencing failed: exit 1 (with resource-and-stonith, I/O stays frozen).',
} as const;
export type AnswerReason = keyof typeof ANSWER_REASONS;

/** The peer's `prepare-handover`: may it hand the resource to this node? */
export interface PrepareHandoverQuestion {
  readonly question: 'prepare-handover';
  readonly resource: string;
  readonly configured: boolean;
  readonly standby: boolean;
  readonly maintenance: boolean;
  /** The local disk in the DRBD view, null when the view has no device. */
  readonly disk: DiskState | null;
}

/** The peer's `outdate` request, on this node's DRBD view of the resource. */
export interface OutdateQuestion {
  readonly question: 'outdate';
  readonly resource: string;
  readonly configured: boolean;
  /** The local role in the DRBD view, null when the view has no device. */
  readonly role: Role | null;
}

/** DRBD's `fence-peer` handler: what is known so far in answering it. */
export interface FencePeerQuestion {
  readonly question: 'fence-peer';
  readonly resource: string;
  /** The configured resources (`resources[].name`). */
  readonly managed: readonly string[];
  /** Connection state in the daemon's view; null when it has none. */
  readonly viewCstate: ConnectionState | null;
  /** The fresh query's connection state: absent until asked, null when the query failed. */
  readonly freshCstate?: ConnectionState | null;
  /** The engine's node fence succeeded in this peer-loss episode, and the peer is still unreachable. */
  readonly peerFencedSilent: boolean;
  readonly policy: FencingPolicy;
  readonly localPrimaries: number;
  readonly peerPrimaries: number;
  readonly localNode: string;
  readonly peerNode: string;
  readonly fenceDelayMs: number;
  /** The peer's outdate answer once asked, with what it said. */
  readonly outdate?: { readonly answer: OutdateAnswer; readonly detail: string };
  /** Node fencing's outcome once run. */
  readonly nodeFence?: { readonly fenced: boolean; readonly detail: string };
}

export type Question = PrepareHandoverQuestion | OutdateQuestion | FencePeerQuestion;

export type Answer =
  | {
      readonly reason: AnswerReason;
      /** A reply to the peer (prepare-handover / outdate refused): its outcome and wire code. */
      readonly step: 'reply';
      readonly outcome: 'done' | 'refused';
      readonly code: string;
      readonly message: string;
    }
  | { readonly reason: AnswerReason; readonly step: 'outdate-local' }
  | {
      readonly reason: AnswerReason;
      readonly step: 'exit';
      readonly exitCode: FencePeerExitCode;
      readonly message: string;
    }
  | { readonly reason: AnswerReason; readonly step: 'query-drbd' | 'ask-outdate' }
  | {
      readonly reason: AnswerReason;
      readonly step: 'fence-node';
      readonly delayMs: number;
      readonly why: string;
    };

const reply = (reason: AnswerReason, outcome: 'done' | 'refused', code: string, message: string): Answer => ({
  reason,
  step: 'reply',
  outcome,
  code,
  message,
});

function prepareHandover(q: PrepareHandoverQuestion): Answer {
  if (!q.configured)
    return reply(
      'REQUEST_UNKNOWN_RESOURCE',
      'refused',
      'unknown-resource',
      `${q.resource} is not configured here`,
    );
  if (q.standby || q.maintenance)
    return reply(
      'HANDOVER_REFUSED_STANDBY',
      'refused',
      'standby-or-maintenance',
      'this node is in standby or maintenance',
    );
  if (q.disk !== 'UpToDate')
    return reply('HANDOVER_REFUSED_DISK', 'refused', 'not-uptodate', `local disk is ${q.disk ?? 'unknown'}`);
  return reply('HANDOVER_READY', 'done', 'ready', 'ready to take over');
}

function outdate(q: OutdateQuestion): Answer {
  if (!q.configured)
    return reply(
      'REQUEST_UNKNOWN_RESOURCE',
      'refused',
      'unknown-resource',
      `${q.resource} is not configured here`,
    );
  // SAFETY (rule 1): a Primary never outdates the disk it serves; the asker reads this as "peer is Primary".
  // The wire code is fencing's OUTDATE_REPLY_CODES.PRIMARY.
  if (q.role === 'Primary')
    return reply('OUTDATE_REFUSED_PRIMARY', 'refused', 'peer-primary', `${q.resource} is Primary here`);
  // Marking our own disk Outdated only ever removes this node from the candidates; the procedure
  // re-checks the role on fresh queries right before it outdates.
  return { reason: 'OUTDATE_PROCEED', step: 'outdate-local' };
}

const exit = (reason: AnswerReason, exitCode: FencePeerExitCode, message: string): Answer => ({
  reason,
  step: 'exit',
  exitCode,
  message,
});

/**
 * SAFETY ("Unknown is never dead"): node fencing only ever follows from a proven need about a managed
 * resource whose replication is down; with `resource-and-stonith` an exit 1 keeps I/O frozen, the safe side.
 */
function fencePeer(q: FencePeerQuestion): Answer {
  const r = q.resource;
  if (!q.managed.includes(r))
    return exit(
      'FENCE_PEER_UNKNOWN_RESOURCE',
      FENCE_PEER_EXIT.FAILURE,
      `resource ${r} is not managed by drbd-sentinel (configured: ${q.managed.join(', ') || 'none'})`,
    );
  // DRBD calls the handler only after it lost the connection; a view that shows the link up may lag by
  // an event, so a fresh query decides. A failed query leaves the view's word standing.
  if (q.viewCstate !== null && LINKED_CONNECTION_STATES.has(q.viewCstate)) {
    if (q.freshCstate === undefined) return { reason: 'FENCE_PEER_CONFIRM_CSTATE', step: 'query-drbd' };
    if (q.freshCstate === null || LINKED_CONNECTION_STATES.has(q.freshCstate))
      return exit(
        'FENCE_PEER_STILL_CONNECTED',
        FENCE_PEER_EXIT.FAILURE,
        `${r}: DRBD here still reports ${q.freshCstate ?? q.viewCstate}; no replication drop to fence for`,
      );
  }
  if (q.peerFencedSilent)
    return exit(
      'FENCE_PEER_ALREADY_FENCED',
      FENCE_PEER_EXIT.PEER_STONITHED,
      `${r}: ${q.peerNode} was fenced by this node`,
    );
  if (q.outdate === undefined) return { reason: 'FENCE_PEER_ASK_OUTDATE', step: 'ask-outdate' };
  const step = fencePeerStep(q.outdate.answer, q.policy);
  const said = q.outdate.detail ? ` (${q.outdate.detail})` : '';
  if (step.kind === 'exit') return exit('FENCE_PEER_OUTDATE_ANSWERED', step.code, `${r}: ${step.why}${said}`);
  if (q.nodeFence === undefined)
    return {
      reason: 'FENCE_PEER_FENCE_NODE',
      step: 'fence-node',
      why: `fence-peer ${r}: ${step.why}`,
      delayMs: fenceDelayMs({
        localPrimaries: q.localPrimaries,
        peerPrimaries: q.peerPrimaries,
        delayMs: q.fenceDelayMs,
        localNode: q.localNode,
        peerNode: q.peerNode,
      }),
    };
  return exit(
    q.nodeFence.fenced ? 'FENCE_PEER_NODE_FENCED' : 'FENCE_PEER_NODE_FENCE_FAILED',
    afterNodeFence(q.nodeFence.fenced),
    `${r}: ${step.why}${said}; node fencing ${q.nodeFence.detail}`,
  );
}

/** The answer to one question. Pure and deterministic, as `decide`. */
export function answer(q: Question): Answer {
  switch (q.question) {
    case 'prepare-handover':
      return prepareHandover(q);
    case 'outdate':
      return outdate(q);
    case 'fence-peer':
      return fencePeer(q);
  }
}
