/**
 * What the engine remembers between decisions. `decide` returns a new memory every time and never
 * mutates the one it was given; the daemon journals it so a restart or an offline `replay` continues
 * from the same point.
 */
import type { PeerRequest } from './observation.js';
import type { ReasonCode } from './reasons.js';

/** Node-level fencing state for the current peer-loss episode (reset when the peer is heard again). */
export interface FenceMemory {
  readonly status: 'none' | 'succeeded' | 'failed';
  /** Consecutive failed attempts in this episode. */
  readonly failures: number;
  /** Monotonic ms before which no new fence attempt is planned (backoff); null when free. */
  readonly nextAttemptMs: number | null;
  /** When the fence that made `status` succeeded (monotonic ms): only contact after it voids the proof. */
  readonly succeededAtMs?: number | null;
}

export interface ResourceMemory {
  /** The reason of the previous decision: notifications fire on entering a reason, not while it stays. */
  readonly lastReason: ReasonCode | null;
  /** Consecutive failed attempts of the resource's plans. */
  readonly failures: number;
  /** Backoff: no new resource action before this monotonic ms; null when free. */
  readonly nextAttemptMs: number | null;
  /** Escalated: no automatic action while the DRBD state fingerprint stays this; null when not. */
  readonly blockedFingerprint: string | null;
  /** A demote could not complete: escalated, no further action until the resource is Secondary. */
  readonly demoteFailed: boolean;
  /** Frozen after split-brain: no automatic action until DRBD reconnects cleanly. */
  readonly frozen: boolean;
  /** The peer's disk was outdated by this node (resource-level fencing) during the current replication loss. */
  readonly peerOutdated: boolean;
  /** Consecutive failed outdate-peer attempts and their backoff. */
  readonly outdateFailures: number;
  readonly outdateNextMs: number | null;
  /**
   * Error kind of the last failed outdate-peer (the peer's reply code, or `peer-unreachable`); null after
   * a success. Absent in journals written before it: no node fence follows.
   */
  readonly outdateLastError?: string | null;
  /** Node last seen Primary for this resource (the middle tie-break of the election). */
  readonly lastPrimary: string | null;
  /** After releasing to the peer, this node does not elect itself before this monotonic ms. */
  readonly yieldUntilMs: number | null;
  /** Failback: since when the preferred node (this one) has been back, UpToDate and in sync. */
  readonly failbackSinceMs: number | null;
  /** A request-peer-release (switchover / failback) was sent at this ms; not repeated within yieldMs. */
  readonly releaseRequestedAtMs: number | null;
  /** A request-peer-takeover (handover) was sent at this ms; not repeated within yieldMs. */
  readonly takeoverRequestedAtMs: number | null;
}

export interface EngineMemory {
  /** Monotonic ms since which the peer has been silent on every link; null while it is heard. */
  readonly peerLostSinceMs: number | null;
  /** Whether the peer was reachable at the previous decision (null before the first), for peer-lost/peer-back. */
  readonly peerWasReachable: boolean | null;
  readonly fence: FenceMemory;
  /** The startup phase is over: the peer was heard once, or the startup wait expired. */
  readonly startupDone: boolean;
  readonly resources: Readonly<Record<string, ResourceMemory>>;
  /**
   * The peer's release / takeover requests waiting for this node's view to catch up (peer-requests.ts),
   * judged again on every decision. Absent in journals written before it: none.
   */
  readonly peerRequests?: readonly PeerRequest[];
  /** This node's maintenance intent at the previous decision (a switch is notified); absent before the first. */
  readonly maintenance?: boolean;
}

export const INITIAL_FENCE: FenceMemory = { status: 'none', failures: 0, nextAttemptMs: null };

export const INITIAL_RESOURCE_MEMORY: ResourceMemory = {
  lastReason: null,
  failures: 0,
  nextAttemptMs: null,
  blockedFingerprint: null,
  demoteFailed: false,
  frozen: false,
  peerOutdated: false,
  outdateFailures: 0,
  outdateNextMs: null,
  outdateLastError: null,
  lastPrimary: null,
  yieldUntilMs: null,
  failbackSinceMs: null,
  releaseRequestedAtMs: null,
  takeoverRequestedAtMs: null,
};

/** The memory of a daemon that just started (nothing known). */
export function initialMemory(): EngineMemory {
  return {
    peerLostSinceMs: null,
    peerWasReachable: null,
    fence: INITIAL_FENCE,
    startupDone: false,
    resources: {},
  };
}

/** The memory of one resource, or the initial one. Pure. */
export function resourceMemory(memory: EngineMemory, name: string): ResourceMemory {
  return memory.resources[name] ?? INITIAL_RESOURCE_MEMORY;
}
