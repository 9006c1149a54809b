/** Rules for a node that is Primary: survivor, resource-level fencing, completing a takeover. Pure. */
import type { Action } from '../plan.js';
import { completionSequence } from '../sequences.js';
import type { ResourceContext } from '../view.js';
import type { Verdict } from './verdict.js';
import { fenceGate, v } from './verdict.js';

/** This node is Primary. */
export function primaryRule(c: ResourceContext): Verdict {
  const name = c.res.name;
  const complete =
    !c.res.mounted || !c.res.servicesUp ? completionSequence(name, c.policy.fsck, c.res.mounted) : [];
  if (c.silent) {
    if (c.linked) return v('PRIMARY_PEER_SILENT_CONNECTED', complete);
    // The survivor keeps running; under stonith it fences at once (the Secondary waits the fence delay, so
    // the Primary wins a fence race).
    // SAFETY: "Startup" - a restarted daemon that has not heard its peer yet does not fence on that
    // silence alone; it waits the startup phase out like a Secondary would (it keeps running meanwhile).
    const wantsFence =
      c.policy.fencing === 'stonith' &&
      c.memory.startupDone &&
      c.memory.fence.status !== 'succeeded' &&
      fenceGate(c) === null;
    return v('PRIMARY_SURVIVOR', complete, {
      wantsFence,
      facts: { fencing: c.policy.fencing, fenced: c.memory.fence.status === 'succeeded' },
    });
  }
  if (!c.linked) {
    // SAFETY: "Resource-level fencing" - the reachable peer's disk is outdated before writing on alone.
    const reconnect: Action[] =
      c.d.cstate === 'StandAlone' && !c.res.splitBrain ? [{ kind: 'connect', resource: name }] : [];
    const peerDisk = c.peerRes?.disk ?? null;
    const peerHarmless = peerDisk !== null && peerDisk !== 'UpToDate' && peerDisk !== 'Consistent';
    if (c.rm.peerOutdated || peerHarmless) {
      if (reconnect.length > 0) return v('RECONNECT', [...complete, ...reconnect], { facts: { peerDisk } });
      return v('PRIMARY_REPL_LOST_PEER_OUTDATED', complete, { facts: { peerDisk } });
    }
    if (c.rm.outdateNextMs !== null && c.obs.nowMs < c.rm.outdateNextMs) {
      // SAFETY: "Unknown is never dead" - the peer is reachable here: it is node-fenced only when its own
      // DRBD failed to outdate the disk (E_DRBD), never because its answer was slow, refused, or lost
      // (outside test: a healthy Secondary powered off 20 times in 180 s under packet loss).
      const wantsFence =
        c.policy.fencing === 'stonith' &&
        c.rm.outdateLastError === 'E_DRBD' &&
        c.memory.startupDone &&
        c.memory.fence.status !== 'succeeded' &&
        fenceGate(c) === null;
      return v('OUTDATE_PEER_FAILED', complete, {
        wantsFence,
        facts: { outdateFailures: c.rm.outdateFailures, retryInMs: c.rm.outdateNextMs - c.obs.nowMs },
      });
    }
    return v('OUTDATE_PEER_REPL_LOST', [{ kind: 'outdate-peer', resource: name }, ...complete], {
      facts: { peerDisk },
    });
  }
  if (c.rm.peerOutdated && c.d.peerDisk === 'UpToDate' && c.d.cstate === 'Connected') {
    return v('PEER_RESYNCED_UNFENCED', complete, { patch: { peerOutdated: false } });
  }
  if (complete.length > 0) return v('COMPLETE_TAKEOVER', complete);
  return v('STEADY_PRIMARY_HERE');
}
