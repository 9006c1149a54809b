/** Rules for a Secondary: failover with proof from a silent peer, election and failback with a reachable one. Pure. */
import { assertNever } from '../../common/result.js';
import { takeoverSequence } from '../sequences.js';
import type { ResourceContext } from '../view.js';
import { drbdLostPeer } from '../view.js';
import { elect } from './election.js';
import type { Verdict } from './verdict.js';
import { fenceGate, takeoverWithPeerReachable, v, yielding } from './verdict.js';

/** This node is Secondary (or Unknown) and the peer is reachable. */
export function secondaryPeerReachable(c: ResourceContext): Verdict {
  if (c.report === null || c.peerRes === null) return v('HOLD_PEER_UNCERTAIN');
  // A StandAlone DRBD never connects by itself (an attach after a disk failure leaves the network side
  // down, as does a `drbdadm disconnect`); the Primary side only waits. Split-brain never gets here (the
  // gate freezes it), and a plain connect lets DRBD's generation handshake decide the rest.
  if (c.d.cstate === 'StandAlone' && !c.res.splitBrain)
    return v('RECONNECT', [{ kind: 'connect', resource: c.res.name }], {
      facts: { peerRole: c.peerRes.role },
    });
  if (c.peerPrimary) {
    if (!c.linked) return v('HOLD_PEER_REACHABLE_REPL_LOST');
    return failbackRule(c) ?? v('STEADY_PRIMARY_THERE', [], { patch: { failbackSinceMs: null } });
  }
  // The peer's report lags its DRBD by up to a heartbeat, and a daemon that is still starting reports a
  // DRBD it has not observed yet. Electing on such a report let both nodes elect themselves at once
  // (seen in the two-process demo: DRBD refused the second promote). While the report disagrees with
  // what the replication link shows of the peer, wait for a fresh one: both nodes then see the same facts.
  const staleReport =
    c.report.health === 'starting' ||
    (c.linked && (c.peerRes.disk !== c.d.peerDisk || c.peerRes.role !== c.d.peerRole));
  if (staleReport)
    return v('HOLD_PEER_UNCERTAIN', [], {
      facts: { peerHealth: c.report.health, reportedDisk: c.peerRes.disk, drbdPeerDisk: c.d.peerDisk },
    });
  const selfCandidate = c.d.disk === 'UpToDate' && !c.obs.intents.standby && !yielding(c);
  const peerCandidate = c.peerRes.disk === 'UpToDate' && !c.report.standby && !c.peerRes.splitBrain;
  // The last Primary counts only when both nodes remember the same one: a node that restarted (empty
  // memory) would otherwise disagree with its peer and each would elect the other forever.
  const agreedLastPrimary =
    c.rm.lastPrimary !== null && c.peerRes.lastPrimary === c.rm.lastPrimary ? c.rm.lastPrimary : null;
  const e = elect(
    c.obs.self,
    selfCandidate,
    c.peerName,
    peerCandidate,
    c.policy.preferredNode,
    agreedLastPrimary,
  );
  const facts = { elected: e.winner, by: e.by, selfCandidate, peerCandidate };
  if (e.winner === c.obs.self) {
    // SAFETY: "Acknowledged writes lost" - while DRBD is disconnected it has not compared generation
    // identifiers, and an UpToDate flag may be stale (a node that was fenced or down while its peer wrote
    // on keeps it). Elect without that comparison only when the peer's data is provably not newer (its
    // disk is not UpToDate/Consistent) or both nodes agree this node was the last Primary.
    const peerMayBeNewer = c.peerRes.disk === 'UpToDate' || c.peerRes.disk === 'Consistent';
    if (!c.linked && peerMayBeNewer && agreedLastPrimary !== c.obs.self) {
      return v('WAIT_REPLICATION_CONNECT', [], { facts });
    }
    const plan = takeoverWithPeerReachable(c);
    if (plan[0]?.kind === 'outdate-peer') return v('ELECTED_OUTDATE_PEER_FIRST', plan, { facts });
    // No tie-break decided this: the peer was no candidate, and the notification must say so.
    if (e.by === 'only') return v('ELECTED_ONLY_CANDIDATE', plan, { facts });
    return v(startupWindow(c) ? 'STARTUP_ELECT' : 'ELECTED_TAKEOVER', plan, { facts });
  }
  if (e.winner === c.peerName) return v('STEADY_SECONDARY_PEER_ELECTED', [], { facts });
  if (c.d.disk !== 'UpToDate') return v('REFUSE_NOT_UPTODATE', [], { facts: { disk: c.d.disk } });
  if (c.obs.intents.standby) return v('STANDBY_HOLD', [], { facts });
  // The only remaining way this node is no candidate: it released the resource to the peer moments ago.
  return v('YIELD_TO_PEER', [], { facts: { ...facts, yieldUntilMs: c.rm.yieldUntilMs } });
}

/** Within the startup window (initdead not yet over since the daemon started). */
export function startupWindow(c: ResourceContext): boolean {
  const wait = c.obs.startup.degradedShutdown ? c.policy.degradedInitdeadMs : c.policy.initdeadMs;
  return c.obs.nowMs - c.obs.startup.daemonStartMs < wait;
}

/** Failback: only with a preferred node, when this (preferred) node is back, UpToDate and in sync. */
export function failbackRule(c: ResourceContext): Verdict | null {
  if (c.policy.preferredNode !== c.obs.self) return null;
  // An operator's switchover away from the preferred node holds as long as its intent is kept.
  if (c.obs.intents.switchovers.some((s) => s.resource === c.res.name && s.to !== c.obs.self)) return null;
  const ready =
    c.d.disk === 'UpToDate' &&
    c.d.cstate === 'Connected' &&
    c.d.peerDisk === 'UpToDate' &&
    !c.obs.intents.standby;
  if (!ready) return null;
  const since = c.rm.failbackSinceMs ?? c.obs.nowMs;
  const stableMs = c.obs.nowMs - since;
  if (stableMs < c.policy.failbackDelayMs) {
    return v('FAILBACK_WAIT_STABLE', [], { facts: { stableMs }, patch: { failbackSinceMs: since } });
  }
  const asked = c.rm.releaseRequestedAtMs;
  if (asked !== null && c.obs.nowMs - asked < c.policy.yieldMs) {
    return v('FAILBACK_WAIT_STABLE', [], {
      facts: { stableMs, requested: true },
      patch: { failbackSinceMs: since },
    });
  }
  return v('FAILBACK_REQUEST_RELEASE', [{ kind: 'request-peer-release', resource: c.res.name }], {
    facts: { stableMs },
    patch: { failbackSinceMs: since, releaseRequestedAtMs: c.obs.nowMs },
  });
}

/** This node is Secondary and the peer is silent on every link. */
export function secondaryPeerSilent(c: ResourceContext): Verdict {
  // SAFETY: "Two kinds of evidence" - while DRBD reports the peer Primary or Connected, no takeover.
  if (c.d.peerRole === 'Primary') return v('HOLD_PEER_PRIMARY');
  if (c.linked) return v('HOLD_PEER_CONNECTED');
  if (!drbdLostPeer(c.d)) return v('HOLD_PEER_CONNECTED');
  // SAFETY: "Startup" - never promote on silence alone; wait for the peer up to (degraded-)initdead.
  if (!c.memory.startupDone) return v('STARTUP_WAIT_PEER');
  // SAFETY: "Stale data promoted" - never promote a disk that is not UpToDate.
  if (c.d.disk !== 'UpToDate') return v('REFUSE_NOT_UPTODATE', [], { facts: { disk: c.d.disk } });
  // SAFETY: "Stale data promoted" - this daemon has not heard its peer since it started, and remembers
  // (across the restart) the peer as the resource's last Primary. Whatever the peer wrote since this node
  // went away is not here, yet DRBD still calls this disk UpToDate: only the survivor's metadata records
  // that its peer fell behind. Fencing now would power off the node with the newest data and promote
  // stale data. Once the peer is heard, the election and resource-level fencing decide with facts.
  if (!c.obs.peer.everHeard && c.rm.lastPrimary === c.peerName)
    return v('REFUSE_PEER_WAS_PRIMARY', [], { facts: { lastPrimary: c.rm.lastPrimary } });
  if (c.obs.intents.standby) return v('STANDBY_HOLD');
  const lostSince = c.memory.peerLostSinceMs ?? c.obs.nowMs;
  const lostForMs = c.obs.nowMs - lostSince;
  const name = c.res.name;
  // SAFETY: "Unknown is never dead" - takeover from an unreachable peer only with proof per policy.
  switch (c.policy.fencing) {
    case 'stonith': {
      // SAFETY: "Acknowledged writes" - a fence race is safe only if the old Primary could not acknowledge
      // writes between the link loss and its node going off. DRBD guarantees that only with
      // `fencing resource-and-stonith` (I/O frozen until fence-peer answers; a failed handler leaves it
      // frozen); with anything else, or when the setting could not be read, the peer may have written on
      // alone, and a takeover would serve data without those writes. Both nodes run the same resource
      // file, so this node's setting stands for the peer's.
      const drbdFencing = c.res.drbdFencing ?? 'unknown';
      if (drbdFencing !== 'resource-and-stonith')
        return v('REFUSE_PEER_IO_NOT_FROZEN', [], { facts: { drbdFencing, lostForMs } });
      if (c.memory.fence.status === 'succeeded') {
        return v('TAKEOVER_FENCED', takeoverSequence(name, c.policy.fsck), { facts: { lostForMs } });
      }
      const g = fenceGate(c);
      if (g !== null) return g;
      if (lostForMs < c.policy.fenceDelayMs) {
        return v('WAIT_FENCE_DELAY', [], { facts: { lostForMs, fenceDelayMs: c.policy.fenceDelayMs } });
      }
      return v('FENCE_PEER', [], { wantsFence: true, facts: { lostForMs } });
    }
    case 'resource-only':
      return v('REFUSE_NO_PROOF_RESOURCE_ONLY', [], { facts: { lostForMs } });
    case 'none': {
      if (!c.policy.acceptRisk) return v('REFUSE_NO_PROOF_NO_FENCING', [], { facts: { lostForMs } });
      if (lostForMs < c.policy.deadtimeMs) {
        return v('WAIT_DEADTIME', [], { facts: { lostForMs, deadtimeMs: c.policy.deadtimeMs } });
      }
      return v('TAKEOVER_ACCEPT_RISK', takeoverSequence(name, c.policy.fsck), { facts: { lostForMs } });
    }
    default:
      return assertNever(c.policy.fencing, 'fencing policy');
  }
}
