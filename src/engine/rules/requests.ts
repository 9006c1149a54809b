/** Requests the peer sent over the heartbeat links: outdate, release, takeover. Pure. */
import type { Action } from '../plan.js';
import { releaseSequence } from '../sequences.js';
import type { ResourceContext } from '../view.js';
import type { Verdict } from './verdict.js';
import { acquirePrechecks, releasePrechecks, takeoverWithPeerReachable, v, yieldPatch } from './verdict.js';

/** Requests the peer sent for this resource. */
export function peerRequestRule(c: ResourceContext): Verdict | null {
  const name = c.res.name;
  const reqs = c.obs.peerRequests.filter((r) => r.resource === name);
  if (reqs.length === 0) return null;
  if (reqs.some((r) => r.kind === 'outdate')) {
    // SAFETY: a Primary is never outdated (DRBD refuses too, rc 17); a Secondary answers so the peer may write alone.
    if (c.localPrimary) return v('REFUSE_OUTDATE_PRIMARY');
    const plan: Action[] =
      c.d.disk === 'UpToDate' || c.d.disk === 'Consistent' ? [{ kind: 'outdate-local', resource: name }] : [];
    return v('ANSWER_OUTDATE_REQUEST', plan);
  }
  if (reqs.some((r) => r.kind === 'release') && c.localPrimary) {
    const facts = releasePrechecks(c);
    if (facts.ok === true) {
      return v('PEER_REQUEST_RELEASE', releaseSequence(name), { facts, patch: yieldPatch(c) });
    }
    return v('PEER_REQUEST_RELEASE_REFUSED', [], { facts });
  }
  if (reqs.some((r) => r.kind === 'takeover') && !c.localPrimary) {
    const facts = acquirePrechecks(c, false);
    if (facts.ok === true && !c.peerPrimary) {
      return v('PEER_REQUEST_TAKEOVER', takeoverWithPeerReachable(c), {
        facts,
        patch: { yieldUntilMs: null },
      });
    }
    return v('PEER_REQUEST_TAKEOVER_REFUSED', [], { facts: { ...facts, peerPrimary: c.peerPrimary } });
  }
  return null;
}
