import type { DrbdDeviceView, DrbdView, MinorNames } from '../drbd/index.js';

/** The minor number of a `/dev/drbdN` device path, or null for other forms (e.g. /dev/drbd/by-res/r0/0). */
export function minorOfDevice(device: string): number | null {
  const m = /^\/dev\/drbd(\d+)$/.exec(device);
  return m ? Number(m[1]) : null;
}

/**
 * The DRBD device of a configured resource: by minor when the device path names one (8.4's /proc/drbd
 * knows only minors), else by resource name (events2). Null when DRBD shows no such device. Pure.
 */
export function deviceOfResource(
  view: DrbdView,
  resource: { readonly name: string; readonly device: string },
): DrbdDeviceView | null {
  const minor = minorOfDevice(resource.device);
  const byMinor = minor === null ? undefined : view.devices.find((d) => d.minor === minor);
  if (byMinor !== undefined && (byMinor.resource === null || byMinor.resource === resource.name))
    return byMinor;
  return view.devices.find((d) => d.resource === resource.name) ?? null;
}

/** Resource names per minor for the /proc/drbd source, which names only minors (volume 0 assumed). */
export function minorNames(
  resources: readonly { readonly name: string; readonly device: string }[],
): MinorNames {
  const names = new Map<number, { resource: string; volume: number }>();
  for (const r of resources) {
    const minor = minorOfDevice(r.device);
    if (minor !== null) names.set(minor, { resource: r.name, volume: 0 });
  }
  return names;
}
