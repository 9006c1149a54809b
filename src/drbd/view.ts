import type { DrbdDeviceState } from './types.js';

/**
 * Why this node believes DRBD saw split-brain on a device.
 * - `helper`: DRBD called its `split-brain` handler (events2 `call helper ... helper:split-brain`):
 *   "Split-Brain detected but unresolved, dropping connection!". Certain.
 * - `standalone-after-connect`: the device fell to StandAlone straight out of a connection attempt
 *   (WFReportParams, or WFConnection between two /proc/drbd polls) without a replication link ever
 *   being established. Split-brain is the usual cause; a failed handshake (auth, protocol, config
 *   mismatch) is the other, and it needs an operator just the same.
 */
export type SplitBrainEvidence =
  | { readonly kind: 'helper'; readonly atIso: string | null }
  | { readonly kind: 'standalone-after-connect'; readonly from: string; readonly atIso: string | null };

/** One device as the daemon sees it: the shared model plus what only this layer knows. */
export interface DrbdDeviceView extends DrbdDeviceState {
  /** Evidence of split-brain; kept until the replication link is established again. */
  readonly splitBrain: SplitBrainEvidence | null;
}

/**
 * Whether the daemon can see DRBD at all.
 * - `unknown`: no data yet (starting, or the events2 child restarted and has not finished its dump);
 * - `ok`: at least one configured device;
 * - `not-configured`: the module is loaded but no resource is up;
 * - `module-not-loaded`: no /proc/drbd, or drbdsetup cannot reach the `drbd` netlink family;
 * - `source-failed`: the event source keeps failing for another reason (see the log).
 */
export type DrbdAvailability = 'unknown' | 'ok' | 'not-configured' | 'module-not-loaded' | 'source-failed';

/** Everything the daemon knows about local DRBD at one moment. Immutable. */
export interface DrbdView {
  /** Kernel module version from /proc/drbd (`8.4.11`, `9.2.4`), null where not read. */
  readonly version: string | null;
  readonly source: 'events2' | 'proc' | null;
  readonly availability: DrbdAvailability;
  /** Sorted by minor. */
  readonly devices: readonly DrbdDeviceView[];
}

/** The view before anything is known. */
export const EMPTY_DRBD_VIEW: DrbdView = {
  version: null,
  source: null,
  availability: 'unknown',
  devices: [],
};

/** A field of a device that can change. */
export type DrbdDeviceField = Exclude<keyof DrbdDeviceView, 'minor'>;

/** One change the reducer reports, old -> new. */
export type DrbdChange =
  | { readonly kind: 'availability'; readonly from: DrbdAvailability; readonly to: DrbdAvailability }
  | { readonly kind: 'version'; readonly from: string | null; readonly to: string | null }
  | { readonly kind: 'source'; readonly from: DrbdView['source']; readonly to: DrbdView['source'] }
  | { readonly kind: 'device-added'; readonly device: DrbdDeviceView }
  | { readonly kind: 'device-removed'; readonly device: DrbdDeviceView }
  | {
      readonly kind: 'device-changed';
      readonly minor: number;
      readonly resource: string | null;
      readonly field: DrbdDeviceField;
      readonly from: unknown;
      readonly to: unknown;
    }
  | {
      readonly kind: 'helper';
      readonly phase: 'call' | 'response';
      readonly resource: string;
      readonly volume: number | null;
      readonly minor: number | null;
      readonly helper: string;
      /** Raw wait status of a response (exit code << 8), null for a call. */
      readonly status: number | null;
      readonly atIso: string | null;
    };

const DEVICE_FIELDS: readonly DrbdDeviceField[] = [
  'resource',
  'volume',
  'cstate',
  'role',
  'peerRole',
  'disk',
  'peerDisk',
  'protocol',
  'ioFlags',
  'outOfSyncKiB',
  'syncPercent',
  'syncEtaSeconds',
  'suspended',
  'splitBrain',
];

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null)
    return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

/** Pure. Every difference between two views, in a stable order (availability, version, by minor). */
export function diffDrbdViews(before: DrbdView, after: DrbdView): DrbdChange[] {
  const changes: DrbdChange[] = [];
  if (before.availability !== after.availability)
    changes.push({ kind: 'availability', from: before.availability, to: after.availability });
  if (before.version !== after.version)
    changes.push({ kind: 'version', from: before.version, to: after.version });
  if (before.source !== after.source) changes.push({ kind: 'source', from: before.source, to: after.source });
  const old = new Map(before.devices.map((d) => [d.minor, d]));
  const now = new Map(after.devices.map((d) => [d.minor, d]));
  const minors = [...new Set([...old.keys(), ...now.keys()])].sort((a, b) => a - b);
  for (const minor of minors) {
    const a = old.get(minor);
    const b = now.get(minor);
    if (a === undefined && b !== undefined) changes.push({ kind: 'device-added', device: b });
    else if (a !== undefined && b === undefined) changes.push({ kind: 'device-removed', device: a });
    else if (a !== undefined && b !== undefined) {
      for (const field of DEVICE_FIELDS) {
        if (!sameValue(a[field], b[field]))
          changes.push({
            kind: 'device-changed',
            minor,
            resource: b.resource,
            field,
            from: a[field],
            to: b[field],
          });
      }
    }
  }
  return changes;
}

/** Pure. The availability a set of devices implies once the module is known to be loaded. */
export function availabilityOf(devices: readonly DrbdDeviceView[]): DrbdAvailability {
  return devices.some((d) => d.cstate !== 'Unconfigured') ? 'ok' : 'not-configured';
}
