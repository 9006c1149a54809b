/** Local disk failure (SAFETY.md, "When the local disk fails"). Pure. */
import { releaseSequence } from '../sequences.js';
import type { ResourceContext } from '../view.js';
import { diskFailed } from '../view.js';
import type { Verdict } from './verdict.js';
import { v, yieldPatch } from './verdict.js';

/** Local disk failure (SAFETY.md, "When the local disk fails"). */
export function diskRule(c: ResourceContext): Verdict | null {
  if (!diskFailed(c.d)) return null;
  const name = c.res.name;
  if (!c.localPrimary) return v('DISK_FAILED_SECONDARY');
  const peerCan =
    c.report !== null &&
    !c.report.standby &&
    c.peerRes?.disk === 'UpToDate' &&
    c.linked &&
    c.peerRes.role !== 'Primary';
  if (peerCan) {
    return v(
      'DISK_FAILED_HANDOVER',
      [...releaseSequence(name), { kind: 'request-peer-takeover', resource: name }],
      {
        patch: yieldPatch(c),
      },
    );
  }
  return v('DISK_FAILED_NO_PEER');
}
