/**
 * The cycle's hands: the peer requester (single-flight outdate, peer-slow), the fence-once wrapper
 * around the handler chain, and the executor context that runs plans through them. The engine's
 * `fence-peer` action and DRBD's fence-peer handler share one requester and one fence.
 */
import type { DrbdView } from '../../drbd/index.js';
import type { Action } from '../../engine/index.js';
import { runPlan, type ActionResult, type ExecutorContext } from '../../executor/index.js';
import { fenceOnce, type FenceOnce } from '../../fencing/index.js';
import { createDaemonPeerRequester, type DaemonPeerRequester } from '../peer-requester.js';
import type { CyclePorts, CycleSettings } from './ports.js';

export interface Actors {
  readonly requester: DaemonPeerRequester;
  readonly fence: FenceOnce;
  /** Runs a plan through the executor, with the settings last given. */
  runPlan(plan: readonly Action[]): Promise<ActionResult[]>;
  /** New settings (reload): later plans run with them. */
  reconfigure(settings: CycleSettings): void;
}

export function createActors(
  ports: CyclePorts,
  settings: CycleSettings,
  lastReason: () => string | null,
  /** The DRBD view the cycle follows: the executor's steps read their DRBD preconditions from it. */
  drbdView: () => DrbdView,
): Actors {
  const requester = createDaemonPeerRequester({
    link: ports.membership,
    clock: ports.clock,
    logger: ports.logger.child({ module: 'peer-requests' }),
    outdateCapMs: settings.outdateCapMs,
  });
  const fence = fenceOnce({
    inner: ports.fenceChain,
    clock: ports.clock,
    heardSince: (atMs) =>
      ports.membership.view().links.some((l) => l.lastHeardAtMs !== null && l.lastHeardAtMs > atMs),
    logger: ports.logger.child({ module: 'fencing' }),
  });
  const executorLog = ports.logger.child({ module: 'executor' });
  const contextFor = (s: CycleSettings): ExecutorContext => ({
    resources: s.resources,
    drbd: ports.drbd,
    drbdView,
    system: ports.system,
    peer: requester,
    fence,
    notifier: {
      notify: async (event, resource, message) => {
        ports.notify({ event, resource, message, reason: lastReason() });
        return { status: 'ok', detail: 'queued' };
      },
    },
    clock: ports.clock,
    signal: ports.signal,
    logger: executorLog,
    fenceTimeoutMs: s.fenceTimeoutMs,
    localNode: s.self,
  });
  let context = contextFor(settings);
  return {
    requester,
    fence,
    runPlan: (plan) => runPlan(plan, context),
    reconfigure: (s) => {
      context = contextFor(s);
    },
  };
}
