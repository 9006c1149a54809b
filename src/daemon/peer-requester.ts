/**
 * The daemon's PeerRequester: peer requests over membership's heartbeat links. An outdate request is
 * judged by reachability, not by the caller's deadline: a peer that keeps answering heartbeats is slow,
 * not dead, so the request waits for it (up to a generous cap), and only a peer lost on every link is
 * `unreachable`. Concurrent outdate requests for one resource share one request (the engine's
 * `outdate-peer` action and DRBD's fence-peer handler ask for the same replication drop a few ms apart),
 * and a "done" answer answers later callers until DRBD shows the resource replicating again.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { Result } from '../common/result.js';
import type { SentinelError } from '../common/errors.js';
import type { PeerRequester, PeerRequestOutcome } from '../executor/ports.js';
import { PEER_SLOW } from '../fencing/index.js';
import type { MembershipEvent, PeerOperation, PeerReply, PeerView } from '../membership/index.js';

/** What the requester needs from membership (its public view and request API). */
export interface PeerLink {
  request(
    op: PeerOperation,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<Result<PeerReply, SentinelError>>;
  view(): PeerView;
  onEvent(listener: (event: MembershipEvent) => void): () => void;
}

export interface DaemonPeerRequesterOptions {
  readonly link: PeerLink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long an outdate request may wait for a peer that stays reachable (ms). */
  readonly outdateCapMs: number;
}

export interface DaemonPeerRequester extends PeerRequester {
  /** DRBD shows `resource` replicating again: the drop is over, and a remembered answer with it. */
  replicationRestored(resource: string): void;
}

/**
 * The outdate wait cap for a dead time: generous against a loaded peer (each drbdadm call a process
 * start), and below the fence-peer entry point's default timeout (120 s) with room for node fencing.
 */
export function outdateCapMs(deadtimeMs: number): number {
  return Math.max(30_000, deadtimeMs * 10);
}

export function createDaemonPeerRequester(o: DaemonPeerRequesterOptions): DaemonPeerRequester {
  const log = o.logger;
  const inFlight = new Map<string, Promise<PeerRequestOutcome>>();
  const answered = new Map<string, { outcome: PeerRequestOutcome; atMs: number }>();

  const ask = async (
    op: PeerOperation,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<PeerRequestOutcome> => {
    const r = await o.link.request(op, { timeoutMs: Math.max(1, timeoutMs), signal });
    if (!r.ok) return { status: 'unreachable', detail: r.error.message };
    if (r.value.outcome === 'done') return { status: 'ok', code: r.value.code, detail: r.value.message };
    return { status: 'failed', errorKind: r.value.code, detail: r.value.message };
  };

  // An outdate request gives up as soon as membership declares the peer lost on every link: it cannot be
  // answered then, and a Primary waiting out the whole cap would hold back its own fence decision while
  // the Secondary's fence delay runs out, so the Secondary wins the fence race (netns all-links-cut
  // scenario). Giving up also stops the resending: a copy that reached the peer after it came back (a
  // reboot and a resync later, chaos seed 3171) would disconnect a healthy replication and outdate an
  // UpToDate disk for a drop that is long over.
  const requestOutdate = async (resource: string): Promise<PeerRequestOutcome> => {
    if (!o.link.view().reachable) return { status: 'unreachable', detail: 'peer unreachable on every link' };
    const startedMs = o.clock.nowMs();
    const giveUp = new AbortController();
    let unsubscribe: () => void = () => {};
    const lost = new Promise<PeerRequestOutcome>((resolve) => {
      unsubscribe = o.link.onEvent((e) => {
        if (e.kind !== 'peer-lost') return;
        giveUp.abort();
        resolve({ status: 'unreachable', detail: 'peer lost on every link while waiting for its answer' });
      });
    });
    try {
      const r = await Promise.race([ask({ kind: 'outdate', resource }, o.outdateCapMs, giveUp.signal), lost]);
      if (r.status !== 'unreachable' || !o.link.view().reachable) return r;
      // No answer within the cap, but the peer kept answering heartbeats: slow, not dead.
      const waitedMs = o.clock.nowMs() - startedMs;
      log.warn(
        { code: 'PEER_OUTDATE_SLOW', resource, waitedMs },
        'peer reachable but did not answer the outdate request',
      );
      return {
        status: 'failed',
        errorKind: PEER_SLOW,
        detail: `peer reachable on the heartbeat links but gave no answer within ${waitedMs} ms`,
      };
    } finally {
      unsubscribe();
    }
  };

  const outdatePeer = async (resource: string, _deadlineMs: number, signal?: AbortSignal) => {
    // The caller's deadline is not the request's: a reachable peer is waited for (up to the cap).
    const earlier = answered.get(resource);
    if (earlier !== undefined && o.clock.nowMs() - earlier.atMs < o.outdateCapMs) {
      log.info({ code: 'PEER_OUTDATE_ANSWERED', resource }, 'outdate already answered for this drop');
      return earlier.outcome;
    }
    let shared = inFlight.get(resource);
    if (shared === undefined) {
      shared = requestOutdate(resource).then((outcome) => {
        inFlight.delete(resource);
        if (outcome.status === 'ok') answered.set(resource, { outcome, atMs: o.clock.nowMs() });
        return outcome;
      });
      inFlight.set(resource, shared);
    } else
      log.info({ code: 'PEER_OUTDATE_JOINED', resource }, 'outdate request in flight; sharing its answer');
    if (signal === undefined) return shared;
    if (signal.aborted) return aborted();
    const onAbort = new Promise<PeerRequestOutcome>((resolve) =>
      signal.addEventListener('abort', () => resolve(aborted()), { once: true }),
    );
    return Promise.race([shared, onAbort]);
  };

  return {
    outdatePeer,
    requestRelease: (resource, deadlineMs) =>
      ask({ kind: 'release', resource }, deadlineMs - o.clock.nowMs()),
    requestTakeover: (resource, deadlineMs) =>
      ask({ kind: 'takeover', resource }, deadlineMs - o.clock.nowMs()),
    replicationRestored: (resource) => {
      answered.delete(resource);
    },
  };
}

const aborted = (): PeerRequestOutcome => ({
  status: 'failed',
  errorKind: 'aborted',
  detail: 'outdate request abandoned by its caller (the request itself goes on)',
});
