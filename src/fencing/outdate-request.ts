/**
 * Resource-level fencing over the heartbeat links (the job Heartbeat's dopd did), both ends:
 * the receiving node's answer to "outdate your disk of R", and the asking node's reading of that
 * answer. The codes below are the contract between the two daemons.
 */
import type { Clock } from '../common/clock.js';
import { clockSleep } from '../executor/budget.js';
import type { OpOptions, StepOutcome } from '../executor/outcome.js';
import type { DrbdPort, DrbdResourceStatus, PeerRequestOutcome } from '../executor/ports.js';
import { LINKED_CONNECTION_STATES } from '../drbd/types.js';
import type { OutdateAnswer } from '../engine/fence-peer-exit.js';

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
  /**
   * The daemon's own DRBD view of the resource (events2 or /proc/drbd), null when it has none. With it
   * the answer needs no status queries in the usual case (an UpToDate Secondary).
   */
  readonly view?: () => DrbdResourceStatus | null;
  /**
   * `drbdadm disconnect R`. With it, a Secondary whose DRBD has not noticed the cut yet disconnects its
   * side and outdates at once instead of polling until its ping timeout; the caller then reconnects.
   */
  readonly disconnect?: (resource: string, options: OpOptions) => Promise<StepOutcome>;
}

/** The reply, and whether this node disconnected its side to outdate (the caller then reconnects). */
export interface OutdateAnswerResult extends OutdateReply {
  readonly reconnect: boolean;
}

const promotable = (d: string) => d === 'UpToDate' || d === 'Consistent';

/**
 * The receiving side: mark this node's disk of `resource` Outdated so it cannot be promoted with
 * stale data. Idempotent. The asker noticed the replication cut first (its DRBD called fence-peer);
 * this node's DRBD may still believe it is Connected for up to its ping timeout, and DRBD refuses
 * to outdate a connected disk. With `disconnect` this node drops its side of the link, outdates and
 * answers at once (`reconnect: true`: the caller runs `drbdadm connect` after answering, so
 * replication resumes and resyncs); without it, it polls until DRBD notices, within `timeoutMs`.
 *
 * SAFETY (rule 2): disconnecting is only done on a Secondary with a promotable disk, right before
 * outdating it; the worst a needless disconnect costs is a resync, and the Outdated disk is never a
 * candidate for promotion until that resync makes it UpToDate again.
 */
export async function answerOutdateRequest(
  resource: string,
  options: AnswerOutdateOptions,
): Promise<OutdateAnswerResult> {
  const { drbd, clock } = options;
  const deadline = clock.nowMs() + options.timeoutMs;
  const op = () => ({
    timeoutMs: Math.max(1, deadline - clock.nowMs()),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let disconnected = false;
  const answer = (outcome: OutdateReply['outcome'], code: string, message: string) => ({
    outcome,
    code,
    message,
    reconnect: disconnected,
  });
  const outdate = async (wasOutdated: boolean) => {
    const r = await drbd.outdate(resource, op());
    if (r.status === 'ok')
      return answer(
        'done',
        wasOutdated ? OUTDATE_REPLY_CODES.ALREADY_OUTDATED : OUTDATE_REPLY_CODES.OUTDATED,
        `${resource} ${wasOutdated ? 'already Outdated' : 'marked Outdated'}${disconnected ? ' (disconnected to outdate; reconnecting)' : ''}`,
      );
    return r;
  };
  const disconnect = async () => {
    if (options.disconnect === undefined || disconnected) return null;
    const d = await options.disconnect(resource, op());
    if (d.status !== 'ok')
      return answer(
        'failed',
        OUTDATE_REPLY_CODES.DRBD_FAILED,
        `drbdadm disconnect: ${d.status === 'failed' ? d.errorKind : 'timeout'}: ${d.detail}`,
      );
    disconnected = true;
    return null;
  };

  // The fast path, on the daemon's view: an UpToDate (or Outdated) Secondary is outdated by one command.
  const v = options.view?.() ?? null;
  if (v !== null && v.role === 'Secondary' && v.disks.length > 0) {
    const wasOutdated = v.disks.every((d) => d === 'Outdated');
    if (wasOutdated || v.disks.some(promotable)) {
      if (LINKED_CONNECTION_STATES.has(v.cstate)) {
        const failed = await disconnect();
        if (failed !== null) return failed;
      }
      const r = await outdate(wasOutdated);
      if ('outcome' in r) return r;
      // The view was behind (still linked, or no longer Outdated...): decide on fresh queries below.
    }
  }

  for (;;) {
    const st = await drbd.status(resource, op());
    if (!st.ok) return answer('failed', OUTDATE_REPLY_CODES.DRBD_FAILED, st.error.detail);
    const s = st.value;
    // SAFETY (rule 1): a Primary never outdates the disk it serves; the asker must treat that as "peer is Primary".
    if (s.role === 'Primary')
      return answer('refused', OUTDATE_REPLY_CODES.PRIMARY, `${resource} is Primary here`);
    if (s.disks.length > 0 && s.disks.every((d) => d === 'Outdated'))
      return answer('done', OUTDATE_REPLY_CODES.ALREADY_OUTDATED, `${resource} already Outdated`);
    if (!s.disks.some(promotable))
      return answer(
        'done',
        OUTDATE_REPLY_CODES.INCONSISTENT,
        `${resource} is ${s.disks.join('/') || 'without disk'}`,
      );
    if (LINKED_CONNECTION_STATES.has(s.cstate)) {
      const failed = await disconnect();
      if (failed !== null) return failed;
    }
    if (disconnected || !LINKED_CONNECTION_STATES.has(s.cstate)) {
      const r = await outdate(false);
      if ('outcome' in r) return r;
      const kind = r.status === 'failed' ? r.errorKind : 'timeout';
      // "(-6) Refusing to be Outdated while Connected" (state-refused) or a transient state: DRBD has not
      // settled on the cut yet; try again until the deadline.
      if (kind !== 'state-refused' && kind !== 'transient' && kind !== 'timeout')
        return answer('failed', OUTDATE_REPLY_CODES.DRBD_FAILED, `${kind}: ${r.detail}`);
    }
    if (clock.nowMs() >= deadline || options.signal?.aborted)
      return answer(
        'failed',
        OUTDATE_REPLY_CODES.STILL_CONNECTED,
        `DRBD still reports ${resource} ${s.cstate} here`,
      );
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
 * a Primary peer is never node-fenced over a mislabelled refusal. Only `E_DRBD` (the peer's own DRBD
 * failed to outdate) reads as `failed`, the one answer of a reachable peer that may lead to node
 * fencing; every other refusal or failure (`unknown-resource`, `still-connected`, ...) is `refused`,
 * and `peer-slow` (reachable, no answer within the cap) is `slow`. Pure.
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
  if (reply.code === PEER_SLOW) return 'slow';
  if (reply.outcome === 'failed' && reply.code === OUTDATE_REPLY_CODES.DRBD_FAILED) return 'failed';
  return 'refused';
}

/**
 * The requester's error kind for a peer that stayed reachable on the heartbeat links but gave no answer
 * within the cap (never a reply code of the peer's).
 */
export const PEER_SLOW = 'peer-slow';

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
