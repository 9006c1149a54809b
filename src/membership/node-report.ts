import type { ConnectionState, DiskState, Role } from '../drbd/types.js';

/**
 * What one node tells its peer about itself in every heartbeat: the facts the peer's engine needs to
 * decide. Authenticated by the wire format; never trusted before verification.
 */
export interface ResourceReport {
  readonly name: string;
  readonly role: Role;
  readonly disk: DiskState;
  readonly cstate: ConnectionState;
  readonly peerDisk: DiskState;
  /** The resource's filesystem is mounted on this node. */
  readonly mounted: boolean;
  /** Every configured service of the resource is running on this node. */
  readonly servicesUp: boolean;
  /** This node has seen DRBD detect split-brain on the resource and has frozen it. */
  readonly splitBrain: boolean;
  /** DRBD's current generation identifier (hex) when known: orders "most recent Primary" at startup. */
  readonly currentUuid: string | null;
  /**
   * The node this node's engine remembers as the resource's last Primary (`EngineMemory.resources[r].lastPrimary`);
   * the election uses it only when both nodes remember the same one. Optional: absent means unknown.
   */
  readonly lastPrimary?: string | null;
}

export type DaemonHealth = 'starting' | 'ok' | 'degraded';

export interface NodeReport {
  readonly resources: readonly ResourceReport[];
  /** Operator asked this node not to hold resources (it moves them away and does not take them). */
  readonly standby: boolean;
  /** Operator put the cluster in maintenance: both nodes observe only. */
  readonly maintenance: boolean;
  readonly health: DaemonHealth;
}
