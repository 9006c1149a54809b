/** Operator intents: switchover and standby. Pure. */
import { releaseSequence, takeoverSequence } from '../sequences.js';
import type { ResourceContext } from '../view.js';
import type { Verdict } from './verdict.js';
import { acquirePrechecks, releasePrechecks, v, yieldPatch } from './verdict.js';

/** Operator intents: switchover and standby. */
export function intentRule(c: ResourceContext): Verdict | null {
  const name = c.res.name;
  const sw = c.obs.intents.switchovers.find((s) => s.resource === name);
  if (sw !== undefined) {
    if (sw.to === c.obs.self) {
      if (c.localPrimary) return v('SWITCHOVER_DONE');
      const facts = acquirePrechecks(c, true);
      if (facts.ok !== true) return v('SWITCHOVER_REFUSED', [], { facts });
      if (c.peerPrimary) {
        const asked = c.rm.releaseRequestedAtMs;
        if (asked !== null && c.obs.nowMs - asked < c.policy.yieldMs)
          return v('SWITCHOVER_WAIT_PEER_RELEASE');
        return v('SWITCHOVER_REQUEST_RELEASE', [{ kind: 'request-peer-release', resource: name }], {
          patch: { releaseRequestedAtMs: c.obs.nowMs },
        });
      }
      // SAFETY: "Two primaries" - the peer is Secondary by DRBD and by its own fresh report.
      if (c.d.peerRole === 'Secondary' && c.peerRes?.role === 'Secondary') {
        return v('SWITCHOVER_TAKEOVER', takeoverSequence(name, c.policy.fsck), {
          patch: { releaseRequestedAtMs: null, yieldUntilMs: null },
        });
      }
      return v('SWITCHOVER_WAIT_PEER_RELEASE');
    }
    if (sw.to === c.peerName) {
      if (!c.localPrimary) {
        if (c.peerPrimary) return v('SWITCHOVER_DONE');
        // A peer that went silent after the handover is handled by the failover rules (with proof).
        if (c.silent) return null;
        // Both Secondary: the peer's election may still pick this node, so ask it explicitly (not more
        // often than every yieldMs) and stay out of the election meanwhile.
        const asked = c.rm.takeoverRequestedAtMs;
        if (asked !== null && c.obs.nowMs - asked < c.policy.yieldMs)
          return v('SWITCHOVER_WAIT_PEER_TAKEOVER');
        return v('SWITCHOVER_REQUEST_TAKEOVER', [{ kind: 'request-peer-takeover', resource: name }], {
          patch: { takeoverRequestedAtMs: c.obs.nowMs, yieldUntilMs: c.obs.nowMs + c.policy.yieldMs },
        });
      }
      const facts = releasePrechecks(c);
      if (facts.ok !== true) return v('SWITCHOVER_REFUSED', [], { facts });
      return v(
        'SWITCHOVER_RELEASE',
        [...releaseSequence(name), { kind: 'request-peer-takeover', resource: name }],
        {
          facts,
          patch: yieldPatch(c),
        },
      );
    }
    return v('SWITCHOVER_REFUSED', [], { facts: { unknownTarget: sw.to } });
  }
  if (c.obs.intents.standby) {
    if (!c.localPrimary) return v('STANDBY_HOLD');
    const facts = releasePrechecks(c);
    if (facts.ok !== true) return v('STANDBY_NO_PEER', [], { facts });
    return v(
      'STANDBY_RELEASE',
      [...releaseSequence(name), { kind: 'request-peer-takeover', resource: name }],
      {
        facts,
        patch: yieldPatch(c),
      },
    );
  }
  return null;
}
