/**
 * The observation: an immutable snapshot of everything this node knows when it decides
 * (ARCHITECTURE.md, "Data flow"). Built by the daemon from the DRBD view, the membership view, the
 * control socket and the executor; the engine only reads it.
 */
import type { DrbdDeviceState } from '../drbd/types.js';
import type { NodeReport } from '../membership/node-report.js';
import type { ActionKind } from './plan.js';

/** One resource as seen on this node. */
export interface ResourceObservation {
  readonly name: string;
  /** The local DRBD device state; null when the resource is not configured or the module is missing. */
  readonly drbd: DrbdDeviceState | null;
  /** The resource's filesystem is mounted here. */
  readonly mounted: boolean;
  /** Every configured service of the resource runs here. */
  readonly servicesUp: boolean;
  /** The DRBD layer saw split-brain on this resource (kernel message / split-brain helper). */
  readonly splitBrain: boolean;
  /** DRBD's current generation identifier (hex), when known. */
  readonly currentUuid: string | null;
  /**
   * DRBD's `fencing` setting of the resource as `drbdadm dump-xml` printed it at start-up (or reload);
   * `unknown` when it could not be read. Absent in journals written before this field: unknown.
   */
  readonly drbdFencing?: DrbdFencingMode;
}

/** DRBD's `fencing` option (disk section in 8.4, net section in 9), or unknown. */
export type DrbdFencingMode = 'resource-and-stonith' | 'resource-only' | 'dont-care' | 'unknown';

export interface LinkObservation {
  readonly name: string;
  /** Heartbeats arrive on this link within the detector's deadline. */
  readonly up: boolean;
}

/** The peer as membership sees it. */
export interface PeerObservation {
  readonly name: string;
  /** Heard recently on at least one heartbeat link (the detector's verdict). */
  readonly reachable: boolean;
  /** Heard at least once since this daemon started. */
  readonly everHeard: boolean;
  readonly links: readonly LinkObservation[];
  /** The peer's last verified report; null when never heard. Stale when `reachable` is false. */
  readonly report: NodeReport | null;
  /** Monotonic ms of the last verified heartbeat; null when never heard. */
  readonly lastHeardMs: number | null;
}

/** Operator intents on this node (from the control socket). */
export interface IntentObservation {
  /** Move resources to `to` (this node or the peer). */
  readonly switchovers: readonly { readonly resource: string; readonly to: string }[];
  /** This node is in standby: move resources away, never take them. */
  readonly standby: boolean;
  /** Maintenance: observe only (the peer's report carries the peer's flag; either one holds both nodes). */
  readonly maintenance: boolean;
}

/** A request the peer sent over the heartbeat links (authenticated, replay-protected before it gets here). */
export interface PeerRequest {
  /** release: run the release sequence for the resource (switchover/failback to the peer);
   *  takeover: take the resource over (the peer released it);
   *  outdate: mark this node's disk Outdated (the peer's resource-level fencing). */
  readonly kind: 'release' | 'takeover' | 'outdate';
  readonly resource: string;
  readonly atMs: number;
}

/** The outcome of one executed action of an earlier plan. */
export interface ActionResultObservation {
  readonly kind: ActionKind;
  /** null for node-level actions (fence-peer, node notifications). */
  readonly resource: string | null;
  /**
   * `skipped-precondition`: the executor found the step's precondition no longer true (the world changed)
   * and did not run it; the engine decides again from the new observation, without counting a failure.
   */
  readonly outcome: 'ok' | 'failed' | 'timeout' | 'skipped-precondition';
  /** The executor says repeating the action cannot make things worse. */
  readonly retrySafe: boolean;
  readonly atMs: number;
  /** A short error kind (e.g. an error code or `busy`), null on success. */
  readonly errorKind: string | null;
}

export interface StartupObservation {
  /** Monotonic ms at which this daemon started. */
  readonly daemonStartMs: number;
  /** The last shutdown left the cluster degraded (wait `degradedInitdeadMs` instead of `initdeadMs`). */
  readonly degradedShutdown: boolean;
}

export interface Observation {
  /** Monotonic ms (never a wall clock). */
  readonly nowMs: number;
  readonly self: string;
  /** DRBD itself is usable here (module loaded, tools present). */
  readonly drbdAvailable: boolean;
  /**
   * The DRBD source has delivered its first view (events2 dump or /proc/drbd read). Before that, DRBD is
   * unknown, not unavailable. Absent in journals written before this field: read as observed.
   */
  readonly drbdObserved?: boolean;
  /** Resources in configuration order (the plan follows this order). */
  readonly resources: readonly ResourceObservation[];
  readonly peer: PeerObservation;
  readonly intents: IntentObservation;
  readonly peerRequests: readonly PeerRequest[];
  /** Results that came in since the previous decision (each delivered exactly once). */
  readonly results: readonly ActionResultObservation[];
  /** Resources whose previous plan is still running (null: a node-level action such as fence-peer). */
  readonly inFlight: readonly (string | null)[];
  /** The loop or the process was paused longer than its threshold since the previous decision. */
  readonly stalled: boolean;
  readonly startup: StartupObservation;
  /**
   * The reminders job fired (`schedule.reminders`): re-send the page or warning of every problem still
   * open. Absent in journals written before this field: not due.
   */
  readonly remindersDue?: boolean;
}

/**
 * Maps one executor result (structurally: src/executor's ActionResult) to what the engine observes. Pure.
 * `atMs` is the monotonic time the result came in.
 */
export function resultObservation(
  r: {
    readonly action: { readonly kind: ActionKind; readonly resource?: string | null };
    readonly status: ActionResultObservation['outcome'];
    readonly retrySafe: boolean;
    readonly errorKind: string | null;
  },
  atMs: number,
): ActionResultObservation {
  return {
    kind: r.action.kind,
    resource: r.action.resource ?? null,
    outcome: r.status,
    retrySafe: r.retrySafe,
    atMs,
    errorKind: r.errorKind,
  };
}
