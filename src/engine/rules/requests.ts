/**
 * Requests the peer sent over the heartbeat links: outdate, release, takeover. A release or takeover that
 * fails its pre-checks only because this node's view lags the peer waits (bounded, see peer-requests.ts)
 * before it is refused. Pure.
 */
import type { Facts } from '../decision.js';
import type { PeerRequest } from '../observation.js';
import { PEER_REQUEST_WAIT_MS } from '../peer-requests.js';
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
  const release = reqs.find((r) => r.kind === 'release');
  if (release !== undefined && c.localPrimary) {
    const facts = releasePrechecks(c);
    if (facts.ok === true) {
      return v('PEER_REQUEST_RELEASE', releaseSequence(name), { facts, patch: yieldPatch(c) });
    }
    // The peer's report and this node's DRBD disagree about the peer's disk, or no report yet: one of
    // them lags the other, and the request may pass once they agree.
    const lagging =
      facts.peerStandby !== true && (facts.peerReachable !== true || facts.peerUpToDate !== facts.inSync);
    if (lagging && waiting(c, release))
      return v('PEER_REQUEST_RELEASE_WAIT_VIEW', [], { facts: { ...facts, ...waitFacts(c, release) } });
    return v('PEER_REQUEST_RELEASE_REFUSED', [], { facts });
  }
  const takeover = reqs.find((r) => r.kind === 'takeover');
  if (takeover !== undefined && !c.localPrimary) {
    const facts = acquirePrechecks(c, false);
    if (facts.ok === true && !c.peerPrimary) {
      return v('PEER_REQUEST_TAKEOVER', takeoverWithPeerReachable(c), {
        facts,
        patch: { yieldUntilMs: null },
      });
    }
    // The peer asks only after it released: a peer still Primary (or no report) here is a view that has
    // not caught up with its demote yet. A disk that is not UpToDate, or standby, does not catch up.
    const lagging =
      facts.upToDate === true && facts.standby !== true && (c.peerPrimary || facts.peerReachable !== true);
    if (lagging && waiting(c, takeover))
      return v('PEER_REQUEST_TAKEOVER_WAIT_VIEW', [], {
        facts: { ...facts, peerPrimary: c.peerPrimary, ...waitFacts(c, takeover) },
      });
    return v('PEER_REQUEST_TAKEOVER_REFUSED', [], { facts: { ...facts, peerPrimary: c.peerPrimary } });
  }
  return null;
}

function waiting(c: ResourceContext, req: PeerRequest): boolean {
  return c.obs.nowMs < req.atMs + PEER_REQUEST_WAIT_MS;
}

function waitFacts(c: ResourceContext, req: PeerRequest): Facts {
  return { requestedAtMs: req.atMs, waitedMs: c.obs.nowMs - req.atMs, waitMaxMs: PEER_REQUEST_WAIT_MS };
}
