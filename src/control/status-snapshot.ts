import type { ConnectionState, DiskState, Role } from '../drbd/types.js';
import type { NotifyEventName } from '../common/notify-events.js';
import type { DaemonHealth } from '../membership/node-report.js';

/**
 * Everything `drbd-sentinel status` shows, filled by the daemon from its latest observation and decision.
 * The same object is the `--json` output: add fields, never rename (scripts parse it).
 */
export interface StatusSnapshot {
  /** This node's name. */
  readonly node: string;
  readonly peer: string;
  readonly cluster: string | null;
  /** Wall-clock time the snapshot was taken, ISO 8601 UTC. */
  readonly time: string;
  readonly daemon: {
    readonly version: string;
    readonly pid: number;
    readonly uptimeMs: number;
    readonly health: DaemonHealth;
    /** This node is in standby (holds no resources). */
    readonly standby: boolean;
    /** Cluster maintenance: both nodes observe only. */
    readonly maintenance: boolean;
  };
  readonly peerState: {
    /** Heard on at least one heartbeat link within the dead time. */
    readonly reachable: boolean;
    /** Milliseconds since the last authenticated heartbeat on any link, null if never heard. */
    readonly lastHeardMsAgo: number | null;
    readonly health: DaemonHealth | null;
    readonly standby: boolean | null;
  };
  readonly links: readonly LinkStatus[];
  readonly resources: readonly ResourceStatus[];
  /** The engine's latest non-trivial decision, null before the first. */
  readonly lastDecision: DecisionSummary | null;
  readonly alerts: readonly OpenAlert[];
  /** The etcd arbiter as this node last saw it; absent when none is configured. */
  readonly arbiter?: ArbiterStatus;
}

export interface ArbiterStatus {
  /** The last etcd request succeeded in time. */
  readonly reachable: boolean;
  /** Milliseconds this node's lease is still certainly alive; null when it holds none. */
  readonly leaseLeftMs: number | null;
  readonly leaseTtlMs: number | null;
  readonly lastContactMsAgo: number | null;
  /** Owner key per resource: the owning node, or null when nobody holds it. */
  readonly owners: readonly {
    readonly resource: string;
    readonly owner: string | null;
    readonly revision: number;
  }[];
}

export interface LinkStatus {
  readonly name: string;
  /** "local address -> peer address", as configured. */
  readonly local: string;
  readonly remote: string;
  readonly state: 'up' | 'down' | 'unknown';
  /** Smoothed round-trip time in ms, null when unknown. */
  readonly rttMs: number | null;
  readonly lastHeardMsAgo: number | null;
}

export interface ResourceStatus {
  readonly name: string;
  readonly role: Role;
  readonly peerRole: Role;
  readonly disk: DiskState;
  readonly peerDisk: DiskState;
  readonly cstate: ConnectionState;
  /** Resync / verify progress in percent, null unless running. */
  readonly syncPercent: number | null;
  readonly syncEtaSeconds: number | null;
  readonly mounted: boolean;
  readonly servicesUp: boolean;
  /** Split-brain detected: the daemon takes no automatic action on this resource. */
  readonly frozen: boolean;
}

export interface DecisionSummary {
  /** Wall-clock ISO time of the decision. */
  readonly time: string;
  /** The engine's reason code. */
  readonly reason: string;
  /** Action kinds of the plan, in order (empty: observe only). */
  readonly actions: readonly string[];
  /** How the execution ended, null while running or when nothing ran. */
  readonly outcome: 'ok' | 'failed' | 'running' | null;
}

export interface OpenAlert {
  readonly event: NotifyEventName;
  readonly resource: string | null;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly message: string;
  /** Wall-clock ISO time the alert was raised. */
  readonly since: string;
}
