/**
 * The engine's policy: the part of the configuration the decision rules read, as plain numbers (ms) and
 * enums. The daemon maps its config into this; the engine never reads config files.
 */

/**
 * `stonith`: a node-level fence handler must succeed before taking over from an unreachable peer.
 * `resource-only`: only resource-level fencing (outdate the peer's disk); never an automatic takeover from an
 * unreachable peer. `none`: no fencing at all; takeover from an unreachable peer only with `acceptRisk`.
 */
export type FencingPolicy = 'stonith' | 'resource-only' | 'none';

export const FENCING_POLICIES: readonly FencingPolicy[] = ['stonith', 'resource-only', 'none'];

/** Retry with exponential backoff: attempt n waits min(initialMs * 2^(n-1), maxMs). */
export interface BackoffPolicy {
  /** Attempts after which a resource action is escalated instead of retried (>= 1). */
  readonly maxAttempts: number;
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface EnginePolicy {
  readonly fencing: FencingPolicy;
  /** Only with `fencing: none`: take over from an unreachable peer after `deadtimeMs` (SAFETY.md: never by default). */
  readonly acceptRisk: boolean;
  /** How long a Secondary waits, after the peer is lost, before it fences (the Primary fences at once). */
  readonly fenceDelayMs: number;
  /** With `none` + `acceptRisk`: how long the peer must be lost before this node takes over. */
  readonly deadtimeMs: number;
  /** Startup: how long to wait for the peer before treating it as lost (DRBD's wfc-timeout). */
  readonly initdeadMs: number;
  /** Startup after a degraded shutdown (DRBD's degr-wfc-timeout). */
  readonly degradedInitdeadMs: number;
  /** Node that should hold the resources when it can; null for none (then no failback). */
  readonly preferredNode: string | null;
  /** Failback: how long the preferred node must be back, UpToDate and in sync before it takes over again. */
  readonly failbackDelayMs: number;
  /** Run fsck between promote and mount. */
  readonly fsck: boolean;
  /** Retry policy for failed resource actions (promote, mount, services, release steps). */
  readonly retry: BackoffPolicy;
  /** Retry policy for a failed or timed-out fence handler chain (never exhausted: retries go on, paging). */
  readonly fenceRetry: Omit<BackoffPolicy, 'maxAttempts'>;
  /** An `on-demote-failure` handler is configured (run when a demote cannot complete). */
  readonly onDemoteFailure: boolean;
  /** After releasing to the peer (switchover, standby, handover), this node does not re-elect itself for this long. */
  readonly yieldMs: number;
}

/** Defaults matching the config schema's defaults, for tests and `replay`. */
export const DEFAULT_POLICY: EnginePolicy = {
  fencing: 'stonith',
  acceptRisk: false,
  fenceDelayMs: 5_000,
  deadtimeMs: 10_000,
  initdeadMs: 60_000,
  degradedInitdeadMs: 30_000,
  preferredNode: null,
  failbackDelayMs: 60_000,
  fsck: false,
  retry: { maxAttempts: 3, initialMs: 2_000, maxMs: 30_000 },
  fenceRetry: { initialMs: 5_000, maxMs: 60_000 },
  onDemoteFailure: false,
  yieldMs: 30_000,
};
