/**
 * Resource-level fencing over the heartbeat links (the job Heartbeat's dopd did), both ends:
 * the receiving node's answer to "outdate your disk of R", and the asking node's reading of that
 * answer. The codes below are the contract between the two daemons.
 */
import type { Clock } from '../common/clock.js';
import { clockSleep } from '../executor/budget.js';
import type { DrbdPort, PeerRequestOutcome } from '../executor/ports.js';
import { LINKED_CONNECTION_STATES } from '../drbd/types.js';
import type { OutdateAnswer } from './fence-peer-exit.js';

/** Reason codes of the receiver's reply (PeerReply.code). */
export const OUTDATE_REPLY_CODES = {
  /** done: the disk was marked Outdated now. */
  OUTDATED: 'outdated',
  /** done: the disk was Outdated already. */
  ALREADY_OUTDATED: 'already-outdated',
  /** done: the disk is Inconsistent or worse (Diskless, Failed...): nothing promotable to protect. */
  INCONSISTENT: 'inconsistent',
  /** refused: this node is Primary for the resource; it will not outdate a disk it serves. */
  PRIMARY: 'peer-primary',
  /** failed: DRBD still reports the replication link up after the wait; outdating is refused while Connected. */
  STILL_CONNECTED: 'still-connected',
  /** failed: the DRBD command failed (the error kind follows in the message). */
  DRBD_FAILED: 'E_DRBD',
} as const;

/** The reply the receiving daemon sends back (shape of membership's PeerReply without the report). */
export interface OutdateReply {
  readonly outcome: 'done' | 'refused' | 'failed';
  readonly code: string;
  readonly message: string;
}

export interface AnswerOutdateOptions {
  readonly drbd: DrbdPort;
  readonly clock: Clock;
  /** Total time for the answer (ms); keep it below the asking side's request timeout. */
  readonly timeoutMs: number;
  /** How often DRBD is polled while waiting for it to notice the cut (ms). Default 250. */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The receiving side: mark this node's disk of `resource` Outdated so it cannot be promoted with
 * stale data. Idempotent. The asker noticed the replication cut first (its DRBD called fence-peer);
 * this node's DRBD may still believe it is Connected for up to its ping timeout, and DRBD refuses
 * to outdate a connected disk, so it waits (polling) until DRBD notices, within `timeoutMs`.
 */
export async function answerOutdateRequest(
  resource: string,
  options: AnswerOutdateOptions,
): Promise<OutdateReply> {
  const { drbd, clock } = options;
  const deadline = clock.nowMs() + options.timeoutMs;
  const op = () => ({
    timeoutMs: Math.max(1, deadline - clock.nowMs()),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for (;;) {
    const st = await drbd.status(resource, op());
    if (!st.ok) return { outcome: 'failed', code: OUTDATE_REPLY_CODES.DRBD_FAILED, message: st.error.detail };
    const s = st.value;
    // SAFETY (rule 1): a Primary never outdates the disk it serves; the asker must treat that as "peer is Primary".
    if (s.role === 'Primary')
      return {
        outcome: 'refused',
        code: OUTDATE_REPLY_CODES.PRIMARY,
        message: `${resource} is Primary here`,
      };
    if (s.disks.length > 0 && s.disks.every((d) => d === 'Outdated'))
      return {
        outcome: 'done',
        code: OUTDATE_REPLY_CODES.ALREADY_OUTDATED,
        message: `${resource} already Outdated`,
      };
    if (!s.disks.some((d) => d === 'UpToDate' || d === 'Consistent'))
      return {
        outcome: 'done',
        code: OUTDATE_REPLY_CODES.INCONSISTENT,
        message: `${resource} is ${s.disks.join('/') || 'without disk'}`,
      };
    if (!LINKED_CONNECTION_STATES.has(s.cstate)) {
      const r = await drbd.outdate(resource, op());
      if (r.status === 'ok')
        return {
          outcome: 'done',
          code: OUTDATE_REPLY_CODES.OUTDATED,
          message: `${resource} marked Outdated`,
        };
      const kind = r.status === 'failed' ? r.errorKind : 'timeout';
      // "(-6) Refusing to be Outdated while Connected" (state-refused) or a transient state: DRBD has not
      // settled on the cut yet; try again until the deadline.
      if (kind !== 'state-refused' && kind !== 'transient' && kind !== 'timeout')
        return { outcome: 'failed', code: OUTDATE_REPLY_CODES.DRBD_FAILED, message: `${kind}: ${r.detail}` };
    }
    if (clock.nowMs() >= deadline || options.signal?.aborted)
      return {
        outcome: 'failed',
        code: OUTDATE_REPLY_CODES.STILL_CONNECTED,
        message: `DRBD still reports ${resource} ${s.cstate} here`,
      };
    await clockSleep(
      clock,
      Math.min(options.pollMs ?? 250, Math.max(1, deadline - clock.nowMs())),
      options.signal,
    );
  }
}

/**
 * The asking side: what an outdate request's result means for fence-peer. `null` means no answer
 * on any heartbeat link before the deadline. The reply code decides (it is the contract between
 * the two daemons); a `peer-primary` code means the peer is Primary whatever outcome carries it, so
 * a Primary peer is never node-fenced over a mislabelled refusal. Pure.
 */
export function outdateAnswerOf(
  reply: { readonly outcome: string; readonly code: string } | null,
): OutdateAnswer {
  if (reply === null) return 'unreachable';
  if (reply.code === OUTDATE_REPLY_CODES.PRIMARY) return 'peer-primary';
  if (reply.outcome === 'done') {
    if (reply.code === OUTDATE_REPLY_CODES.INCONSISTENT) return 'inconsistent';
    if (reply.code === OUTDATE_REPLY_CODES.ALREADY_OUTDATED) return 'already-outdated';
    return 'outdated';
  }
  return 'failed';
}

/** The same from the executor's PeerRequestOutcome (the daemon's PeerRequester answer). Pure. */
export function outdateAnswerOfPeerOutcome(o: PeerRequestOutcome): OutdateAnswer {
  switch (o.status) {
    case 'unreachable':
      return 'unreachable';
    case 'ok':
      return outdateAnswerOf({ outcome: 'done', code: o.code ?? OUTDATE_REPLY_CODES.OUTDATED });
    case 'failed':
      return outdateAnswerOf({ outcome: 'failed', code: o.errorKind });
  }
}
