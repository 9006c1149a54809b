import {
  CONNECTION_STATES,
  DISK_STATES,
  LINKED_CONNECTION_STATES,
  ROLES,
  type ConnectionState,
  type DiskState,
  type ReplicationProtocol,
  type Role,
} from './types.js';

const CONNECTION_SET: ReadonlySet<string> = new Set(CONNECTION_STATES);
const DISK_SET: ReadonlySet<string> = new Set(DISK_STATES);
const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

/** Pure. A DRBD 8.4 connection state name (as /proc/drbd prints it), or null. */
export function asConnectionState(s: string): ConnectionState | null {
  return CONNECTION_SET.has(s) ? (s as ConnectionState) : null;
}

/** Pure. A disk state name, or null. */
export function asDiskState(s: string): DiskState | null {
  return DISK_SET.has(s) ? (s as DiskState) : null;
}

/** Pure. A role name, or null. */
export function asRole(s: string): Role | null {
  return ROLE_SET.has(s) ? (s as Role) : null;
}

/** Pure. A wire protocol letter, or null. */
export function asProtocol(s: string): ReplicationProtocol | null {
  return s === 'A' || s === 'B' || s === 'C' ? s : null;
}

/**
 * The `connection:` values of events2 (DRBD 9, and drbdsetup-84's events2 on an 8.4 kernel).
 * drbd-utils prints 8.4's C_WF_CONNECTION as `Connecting` and C_WF_REPORT_PARAMS (and everything
 * above it) as `Connected`; the finer state is then the peer-device's `replication:`.
 */
export const EVENTS2_CONNECTION_STATES = [
  'StandAlone',
  'Disconnecting',
  'Unconnected',
  'Timeout',
  'BrokenPipe',
  'NetworkFailure',
  'ProtocolError',
  'TearDown',
  'Connecting',
  'Connected',
] as const;
export type Events2ConnectionState = (typeof EVENTS2_CONNECTION_STATES)[number];

/** The `replication:` values of events2 peer-devices: `Off`, `Established`, then 8.4's sync states. */
export const EVENTS2_REPLICATION_STATES = [
  'Off',
  'Established',
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
] as const;
export type Events2ReplicationState = (typeof EVENTS2_REPLICATION_STATES)[number];

const EV2_CONN_SET: ReadonlySet<string> = new Set(EVENTS2_CONNECTION_STATES);
const EV2_REPL_SET: ReadonlySet<string> = new Set(EVENTS2_REPLICATION_STATES);

/** Pure. An events2 `connection:` value, or null. */
export function asEvents2ConnectionState(s: string): Events2ConnectionState | null {
  return EV2_CONN_SET.has(s) ? (s as Events2ConnectionState) : null;
}

/** Pure. An events2 `replication:` value, or null. */
export function asEvents2ReplicationState(s: string): Events2ReplicationState | null {
  return EV2_REPL_SET.has(s) ? (s as Events2ReplicationState) : null;
}

/**
 * Pure. The one 8.4-named connection state for an events2 connection + replication pair:
 * `Connecting` -> `WFConnection`; a `Connected` connection reports its replication state, with
 * `Established` -> `Connected` and `Off` -> `WFReportParams` (connected, handshake not finished);
 * no connection object at all (8.4 destroys it on StandAlone) -> `StandAlone`.
 */
export function normalizeEvents2Cstate(
  connection: Events2ConnectionState | null,
  replication: Events2ReplicationState | null,
): ConnectionState {
  if (connection === null) return 'StandAlone';
  if (connection === 'Connecting') return 'WFConnection';
  if (connection !== 'Connected') return connection;
  if (replication === null || replication === 'Off') return 'WFReportParams';
  if (replication === 'Established') return 'Connected';
  return replication;
}

/**
 * Pure. The inverse of normalizeEvents2Cstate: the events2 `connection:` value drbdsetup-84 prints for an 8.4
 * connection state (`WFConnection` -> `Connecting`; `WFReportParams` and every linked state -> `Connected`).
 * `Unconfigured` has no connection object; it passes through as the simulator has always printed it.
 */
export function events2ConnectionOf(cs: ConnectionState): Events2ConnectionState | 'Unconfigured' {
  if (cs === 'WFConnection') return 'Connecting';
  if (cs === 'WFReportParams' || LINKED_CONNECTION_STATES.has(cs)) return 'Connected';
  // Every remaining 8.4 state is spelled the same in events2.
  return cs as Events2ConnectionState | 'Unconfigured';
}

/** Pure. The events2 `replication:` value of an 8.4 connection state (`Connected` -> `Established`, unlinked -> `Off`). */
export function events2ReplicationOf(cs: ConnectionState): Events2ReplicationState {
  if (cs === 'Connected') return 'Established';
  // The linked states other than Connected are the sync states, spelled the same in events2.
  if (LINKED_CONNECTION_STATES.has(cs)) return cs as Events2ReplicationState;
  return 'Off';
}

/** Connection states in which a resync or online verify runs and /proc/drbd prints progress. */
export const PROGRESS_STATES: ReadonlySet<ConnectionState> = new Set<ConnectionState>([
  'SyncSource',
  'SyncTarget',
  'VerifyS',
  'VerifyT',
]);
