/** Builders for the release and takeover sequences (plan.ts order). Pure. */
import type { Action } from './plan.js';

/** remove-addresses, stop-services, umount, demote (RELEASE_SEQUENCE). */
export function releaseSequence(resource: string): Action[] {
  return [
    { kind: 'remove-addresses', resource },
    { kind: 'stop-services', resource },
    { kind: 'umount', resource },
    { kind: 'demote', resource },
  ];
}

/** promote, fsck (where configured), mount, start-services, add-addresses (TAKEOVER_SEQUENCE). */
export function takeoverSequence(resource: string, fsck: boolean): Action[] {
  return [
    { kind: 'promote', resource },
    ...(fsck ? [{ kind: 'fsck', resource } as const] : []),
    { kind: 'mount', resource },
    { kind: 'start-services', resource },
    { kind: 'add-addresses', resource },
  ];
}

/** The takeover steps after promote that are still missing on a Primary (mount, services, addresses). */
export function completionSequence(resource: string, fsck: boolean, mounted: boolean): Action[] {
  return takeoverSequence(resource, fsck).filter(
    (a) => a.kind !== 'promote' && (!mounted || (a.kind !== 'fsck' && a.kind !== 'mount')),
  );
}
