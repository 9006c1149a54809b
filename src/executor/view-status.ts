/**
 * A resource's DRBD state as the executor checks it, read from a DrbdView: the view the daemon follows
 * (events2, or the /proc/drbd poller), or the one a single `drbdsetup events2 --now` builds. Pure.
 */
import type { DrbdDeviceView, DrbdView } from '../drbd/view.js';
import type { DrbdResourceStatus } from './ports.js';

/** The devices of one resource: by name (events2), else by the minor its device path names (/proc/drbd). */
function devicesOf(view: DrbdView, resource: string, device: string | null): DrbdDeviceView[] {
  const named = view.devices.filter((d) => d.resource === resource);
  if (named.length > 0) return named;
  const m = device === null ? null : /^\/dev\/drbd(\d+)$/.exec(device);
  return m ? view.devices.filter((d) => d.minor === Number(m[1]) && d.resource === null) : [];
}

/**
 * The resource's role, disks and connection in `view`; null when the view cannot say (DRBD not seen,
 * or no device of the resource). Role and connection are the first volume's (one per resource in DRBD).
 */
export function statusFromView(
  view: DrbdView,
  resource: string,
  device: string | null = null,
): DrbdResourceStatus | null {
  if (view.availability !== 'ok') return null;
  const devs = devicesOf(view, resource, device);
  const first = devs[0];
  if (first === undefined) return null;
  return {
    role: first.role,
    peerRole: first.peerRole,
    disks: devs.map((d) => d.disk),
    peerDisks: devs.map((d) => d.peerDisk),
    cstate: first.cstate,
  };
}
