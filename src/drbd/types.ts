/**
 * The one normalized DRBD state model, shared by both DRBD versions, the simulator, the heartbeat
 * payload and the engine. DRBD's own vocabulary, verbatim, in 8.4 names.
 */

/** Connection states as DRBD 8.4 names them (DRBD 9's `Connecting` is reported as `WFConnection`). */
export const CONNECTION_STATES = [
  'StandAlone',
  'Disconnecting',
  'Unconnected',
  'Timeout',
  'BrokenPipe',
  'NetworkFailure',
  'ProtocolError',
  'TearDown',
  'WFConnection',
  'WFReportParams',
  'Connected',
  'StartingSyncS',
  'StartingSyncT',
  'WFBitMapS',
  'WFBitMapT',
  'WFSyncUUID',
  'SyncSource',
  'SyncTarget',
  'VerifyS',
  'VerifyT',
  'PausedSyncS',
  'PausedSyncT',
  'Ahead',
  'Behind',
  'Unconfigured',
] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

export const ROLES = ['Primary', 'Secondary', 'Unknown'] as const;
export type Role = (typeof ROLES)[number];

export const DISK_STATES = [
  'Diskless',
  'Attaching',
  'Detaching',
  'Failed',
  'Negotiating',
  'Inconsistent',
  'Outdated',
  'DUnknown',
  'Consistent',
  'UpToDate',
] as const;
export type DiskState = (typeof DISK_STATES)[number];

export type ReplicationProtocol = 'A' | 'B' | 'C';

/** Connection states in which the replication link to the peer is established (data flows). */
export const LINKED_CONNECTION_STATES: ReadonlySet<ConnectionState> = new Set<ConnectionState>([
  'Connected',
  'StartingSyncS',
  'StartingSyncT',
  'WFBitMapS',
  'WFBitMapT',
  'WFSyncUUID',
  'SyncSource',
  'SyncTarget',
  'VerifyS',
  'VerifyT',
  'PausedSyncS',
  'PausedSyncT',
  'Ahead',
  'Behind',
]);

/** The normalized state of one DRBD device (one volume of one resource) on this node. */
export interface DrbdDeviceState {
  readonly minor: number;
  /** Resource name; null where the source does not say (8.4's /proc/drbd names only minors). */
  readonly resource: string | null;
  readonly volume: number | null;
  readonly cstate: ConnectionState;
  readonly role: Role;
  readonly peerRole: Role;
  readonly disk: DiskState;
  readonly peerDisk: DiskState;
  readonly protocol: ReplicationProtocol | null;
  /** /proc/drbd's I/O flags column verbatim (e.g. `r-----`), null where unknown. */
  readonly ioFlags: string | null;
  readonly outOfSyncKiB: number | null;
  /** Resync or online-verify progress in percent; null unless one is running. */
  readonly syncPercent: number | null;
  readonly syncEtaSeconds: number | null;
  /** Application I/O is suspended (e.g. while a fence-peer handler runs, or `suspend-io`). */
  readonly suspended: boolean;
}
