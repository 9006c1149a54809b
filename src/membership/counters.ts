/**
 * Why an incoming packet was dropped. Every dropped packet is counted under exactly one reason;
 * nothing dropped ever reaches a decision (SAFETY.md, "Authenticated peers").
 */
export const REJECT_REASONS = [
  /** Shorter than the fixed header plus MAC. */
  'too-short',
  /** Longer than the configured maximum frame size. */
  'oversized',
  /** Does not start with the frame magic. */
  'bad-magic',
  /** A protocol version this build does not speak. */
  'bad-version',
  /** The HMAC-SHA256 does not verify with our key (forged, corrupted, or another key). */
  'bad-mac',
  /** Authenticated, but the layout or the JSON body is invalid. */
  'malformed',
  /**
   * Authenticated, but a numeric header field is outside what any sender of this build sends (a time
   * below 0 or above 2^42 ms, a seq of 0, an integer above 2^53, linkSeq above seq, ...).
   */
  'invalid-field',
  /** Authenticated, but for another cluster name. */
  'wrong-cluster',
  /** Authenticated, but the sender is not our configured peer (includes our own name). */
  'unknown-sender',
  /** Arrived on a socket other than the link the sender put in the frame. */
  'wrong-link',
  /** The sender's incarnation is older than one already seen from it. */
  'old-incarnation',
  /** The sequence number was already seen in this incarnation (replay or network duplicate). */
  'replayed',
  /** The sequence number is older than the replay window. */
  'seq-too-old',
  /**
   * The sequence number is further ahead than the sender can have sent since the last accepted frame
   * (elapsed time x its maximum send rate + slack): it would poison the replay window.
   */
  'seq-implausible',
  /** A request or response that does not echo our current incarnation (a replay from before our restart). */
  'unconfirmed',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

/** Counters of one heartbeat link (index as in the configuration). */
export interface LinkCounters {
  /** Heartbeats handed to the link's socket. */
  heartbeatsSent: number;
  /** Confirmed heartbeats accepted on the link (the ones that count as proof of life). */
  heartbeatsReceived: number;
  /** Packets dropped on the link, by reason. */
  readonly rejected: Record<RejectReason, number>;
}

/** Plain counters of the membership layer, for metrics (read them; never reset them). */
export interface MembershipCounters {
  /** Per link, in link order; the totals below add up these. */
  readonly links: readonly LinkCounters[];
  /** Frames accepted, by type. */
  readonly accepted: { heartbeat: number; request: number; response: number };
  /**
   * Authenticated heartbeats that did not echo our current incarnation: used only to learn the peer's
   * incarnation (handshake after a restart), never as proof of life.
   */
  unconfirmedHeartbeats: number;
  readonly rejected: Record<RejectReason, number>;
  readonly sent: { heartbeat: number; request: number; response: number };
  /** Sends the socket reported as failed (e.g. no route, interface down). */
  sendErrors: number;
  /** Frames we could not encode (report too large): a bug or an oversized configuration. */
  encodeErrors: number;
  readonly requests: {
    /** Requests this node started, by final outcome. */
    started: number;
    answered: number;
    timedOut: number;
    /** Requests from the peer, handled once each. */
    handled: number;
    /** Duplicates of a handled request answered from the cache. */
    duplicates: number;
    /** Requests from the peer dropped unanswered because too many of its requests were still running. */
    droppedBusy: number;
    /** Authenticated responses matching no request of ours (late duplicates, or not ours): ignored. */
    unmatchedResponses: number;
  };
}

function zeroByReason(): Record<RejectReason, number> {
  return Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
}

/** A fresh set of counters for `linkCount` links, every field zero. */
export function createCounters(linkCount = 0): MembershipCounters {
  const rejected = zeroByReason();
  return {
    links: Array.from({ length: linkCount }, () => ({
      heartbeatsSent: 0,
      heartbeatsReceived: 0,
      rejected: zeroByReason(),
    })),
    accepted: { heartbeat: 0, request: 0, response: 0 },
    unconfirmedHeartbeats: 0,
    rejected,
    sent: { heartbeat: 0, request: 0, response: 0 },
    sendErrors: 0,
    encodeErrors: 0,
    requests: {
      started: 0,
      answered: 0,
      timedOut: 0,
      handled: 0,
      duplicates: 0,
      droppedBusy: 0,
      unmatchedResponses: 0,
    },
  };
}
