/**
 * The per-resource rules, in their fixed order (docs/decisions.md, "Rule order"): gates, disk failure,
 * peer requests, operator intents, then the Primary / Secondary rules. Each returns a verdict: a reason
 * code, the resource's actions, facts, and a memory patch. Pure: no I/O, no clock, no logging.
 */
import type { ResourceMemory } from '../memory.js';
import type { Action } from '../plan.js';
import type { ReasonCode } from '../reasons.js';
import { REASONS } from '../reasons.js';
import type { ResourceContext } from '../view.js';
import { diskRule } from './disk.js';
import { gate } from './gates.js';
import { intentRule } from './intents.js';
import { primaryRule } from './primary.js';
import { peerRequestRule } from './requests.js';
import { secondaryPeerReachable, secondaryPeerSilent } from './secondary.js';
import type { Verdict } from './verdict.js';
import { v } from './verdict.js';

export { elect } from './election.js';
export { maintenanceOn } from './gates.js';
export type { Verdict } from './verdict.js';

/**
 * Soft verdicts: refusals and "done" answers to intents and peer requests. They never displace what the
 * Primary / Secondary rules must do (outdating the peer, fencing, a takeover with proof): they are the
 * decision only when those rules have nothing to do.
 */
const SOFT: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'SWITCHOVER_DONE',
  'SWITCHOVER_REFUSED',
  'STANDBY_NO_PEER',
  'PEER_REQUEST_RELEASE_REFUSED',
  'PEER_REQUEST_TAKEOVER_REFUSED',
  'PEER_REQUEST_RELEASE_WAIT_VIEW',
  'PEER_REQUEST_TAKEOVER_WAIT_VIEW',
  'REFUSE_OUTDATE_PRIMARY',
]);

/** Soft verdicts answering a one-shot peer request: their page goes out even when the base rule wins. */
const SOFT_ONE_SHOT: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'PEER_REQUEST_RELEASE_REFUSED',
  'PEER_REQUEST_TAKEOVER_REFUSED',
  'REFUSE_OUTDATE_PRIMARY',
]);

function quiet(b: Verdict): boolean {
  return b.plan.length === 0 && b.wantsFence !== true && REASONS[b.reason].severity === 'info';
}

/** The Primary / Secondary rules, after gates, disk failure, peer requests and intents. */
function baseRules(c: ResourceContext): Verdict {
  if (c.localPrimary) return primaryRule(c);
  if (c.silent) return secondaryPeerSilent(c);
  if (!c.obs.peer.reachable) return v('HOLD_PEER_UNCERTAIN');
  return secondaryPeerReachable(c);
}

function combineSoft(c: ResourceContext, soft: Verdict): Verdict {
  const base = baseRules(c);
  if (quiet(base)) return soft;
  const info = REASONS[soft.reason];
  const page: Action[] =
    SOFT_ONE_SHOT.has(soft.reason) && info.event !== null
      ? [{ kind: 'notify', event: info.event, resource: c.res.name, message: `${c.res.name}: ${info.node}` }]
      : [];
  return {
    ...base,
    plan: [...page, ...base.plan],
    facts: { ...soft.facts, ...base.facts, alsoDecided: soft.reason },
  };
}

/**
 * Decides one resource with DRBD present. Rule order: gates (split-brain, maintenance, stall, in-flight,
 * escalations, backoff), disk failure, peer requests, operator intents, then the Primary / Secondary rules.
 */
export function resourceRules(c: ResourceContext): Verdict {
  const g = gate(c);
  if (g !== null) return g;
  const lifted: Partial<ResourceMemory> =
    c.rm.blockedFingerprint !== null || (c.rm.demoteFailed && !c.localPrimary)
      ? { blockedFingerprint: null, demoteFailed: false, failures: 0 }
      : {};
  const special = diskRule(c) ?? peerRequestRule(c) ?? intentRule(c);
  const verdict =
    special === null ? baseRules(c) : SOFT.has(special.reason) ? combineSoft(c, special) : special;
  return { ...verdict, patch: { ...lifted, ...verdict.patch } };
}
