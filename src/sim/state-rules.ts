/**
 * DRBD 8.4's implicit state rules (`sanitize_state` in drbd_state.c): what every state change is
 * corrected to before it takes effect, and the metadata flags DRBD derives from the state after it
 * (`_drbd_set_state`). Pure; the model applies them before every visible change, as DRBD does, so no
 * code path can leave a state the real module would never show (a SyncSource that is only
 * Consistent, a disconnected peer disk that is UpToDate).
 */
import type { ConnectionState, DiskState } from '../drbd/types.js';
import { LINKED_CONNECTION_STATES } from '../drbd/types.js';
import { diskRank } from './uuid-rules.js';

export interface DiskStates {
  readonly cstate: ConnectionState;
  readonly disk: DiskState;
  readonly peerDisk: DiskState;
}

interface Bounds {
  readonly disk: readonly [DiskState, DiskState];
  readonly peer: readonly [DiskState, DiskState];
}

const ANY: readonly [DiskState, DiskState] = ['Diskless', 'UpToDate'];

/** The disk states each connection state implies (DRBD's disk_min/max, pdsk_min/max table). */
function boundsOf(cs: ConnectionState): Bounds {
  switch (cs) {
    case 'WFBitMapT':
    case 'PausedSyncT':
    case 'StartingSyncT':
    case 'WFSyncUUID':
    case 'Behind':
      return { disk: ['Inconsistent', 'Outdated'], peer: ['UpToDate', 'UpToDate'] };
    case 'VerifyS':
    case 'VerifyT':
      return { disk: ['UpToDate', 'UpToDate'], peer: ['UpToDate', 'UpToDate'] };
    case 'Connected':
      return { disk: ANY, peer: ANY };
    case 'WFBitMapS':
    case 'PausedSyncS':
    case 'StartingSyncS':
    case 'Ahead':
      return { disk: ['UpToDate', 'UpToDate'], peer: ['Inconsistent', 'Consistent'] };
    case 'SyncTarget':
      return { disk: ['Inconsistent', 'Inconsistent'], peer: ['UpToDate', 'UpToDate'] };
    case 'SyncSource':
      return { disk: ['UpToDate', 'UpToDate'], peer: ['Inconsistent', 'Inconsistent'] };
    default:
      return { disk: ANY, peer: ['Inconsistent', 'DUnknown'] };
  }
}

/**
 * Clamps `d` into `[min, max]`. A disk below Inconsistent (none, attaching, failed, negotiating)
 * is never raised: DRBD aborts a resync when a disk fails (see sanitizeDiskStates) and negotiates an
 * attaching disk before it counts.
 */
function clamp(d: DiskState, [min, max]: readonly [DiskState, DiskState]): DiskState {
  if (diskRank(d) > diskRank(max)) return max;
  if (diskRank(d) < diskRank(min) && diskRank(d) >= diskRank('Inconsistent')) return min;
  return d;
}

/**
 * The state DRBD 8.4 makes of `s`:
 * - without a connection the peer's disk is only known as Inconsistent, Outdated or DUnknown;
 * - a resync or verify ends (Connected) when either disk fails or detaches;
 * - Consistent and Outdated vanish once connected (they become UpToDate), except where the
 *   connection state caps them: a SyncSource (and WFBitMapS) is UpToDate, a SyncTarget Inconsistent,
 *   a node about to become SyncTarget at most Outdated.
 */
export function sanitizeDiskStates(s: DiskStates): DiskStates {
  let { cstate, disk, peerDisk } = s;
  const linked = LINKED_CONNECTION_STATES.has(cstate);
  if (!linked && peerDisk !== 'Inconsistent' && peerDisk !== 'Outdated') peerDisk = 'DUnknown';
  if (
    linked &&
    cstate !== 'Connected' &&
    (diskRank(disk) <= diskRank('Failed') || diskRank(peerDisk) <= diskRank('Failed'))
  )
    cstate = 'Connected';
  if (linked && cstate !== 'Ahead' && cstate !== 'Behind') {
    if (disk === 'Consistent' || disk === 'Outdated') disk = 'UpToDate';
    if (peerDisk === 'Consistent' || peerDisk === 'Outdated') peerDisk = 'UpToDate';
  }
  const b = boundsOf(cstate);
  return { cstate, disk: clamp(disk, b.disk), peerDisk: clamp(peerDisk, b.peer) };
}

/** The metadata flags DRBD writes after a state change while a disk is attached. */
export interface DerivedFlags {
  /** MDF_CONSISTENT. */
  readonly consistent: boolean;
  /** Not MDF_WAS_UP_TO_DATE: the disk comes back Outdated. */
  readonly outdated: boolean;
  /** MDF_PEER_OUT_DATED: the peer's disk is known not to be UpToDate (attach may then be UpToDate). */
  readonly peerOutdated: boolean;
}

/** DRBD's flags for `disk`/`peerDisk`, or null while no disk is attached (the flags stay as they are). */
export function derivedFlags(disk: DiskState, peerDisk: DiskState): DerivedFlags | null {
  if (diskRank(disk) < diskRank('Inconsistent')) return null;
  return {
    consistent: diskRank(disk) > diskRank('Inconsistent'),
    outdated: diskRank(disk) <= diskRank('Outdated'),
    peerOutdated: peerDisk === 'Inconsistent' || peerDisk === 'Outdated',
  };
}
