/**
 * Maps the validated configuration onto the options of each module (pure). Kept apart from the
 * composition root so the mapping is testable without starting anything.
 */
import { outdateCapMs } from './peer-requester.js';
import type { SentinelConfig, ResourceConfig } from '../config/index.js';
import type { LocalNodes } from '../config/index.js';
import type { ResourceExecConfig } from '../executor/index.js';
import { DEFAULT_TIMEOUTS } from '../executor/index.js';
import type { FenceHandlerConfig } from '../fencing/index.js';
import type { LinkSpec } from '../membership/index.js';

/** SIGTERM-to-SIGKILL grace for processes holding a busy mount point (on-busy-umount: kill). */
export const BUSY_UMOUNT_KILL_GRACE_MS = 5_000;

export function resourceExecConfig(config: SentinelConfig, r: ResourceConfig): ResourceExecConfig {
  const t = r.timeouts;
  return {
    name: r.name,
    device: r.device,
    mount:
      r.mount === null
        ? null
        : { point: r.mount.point, fstype: r.mount.fstype, options: r.mount.options, fsck: r.fsck },
    services: r.services,
    addresses: r.addresses.map((a) => ({ address: a.address, prefix: a.prefixLength, device: a.interface })),
    timeouts: {
      ...DEFAULT_TIMEOUTS,
      promoteMs: t.promoteMs,
      demoteMs: t.demoteMs,
      mountMs: t.mountMs,
      umountMs: t.umountMs,
      servicesMs: t.servicesMs,
      fsckMs: t.fsckMs,
      // An outdate request waits for a reachable peer up to its cap (peer-requester.ts) and must report
      // "slow" itself before this budget cuts it off (a cut-off outdate counts as failed for the engine).
      peerRequestMs: Math.max(
        DEFAULT_TIMEOUTS.peerRequestMs,
        config.heartbeat.deadtimeMs * 2,
        outdateCapMs(config.heartbeat.deadtimeMs) + 5_000,
      ),
      demoteFailureHandlerMs:
        config.fencing.onDemoteFailure?.timeoutMs ?? DEFAULT_TIMEOUTS.demoteFailureHandlerMs,
    },
    onBusyUmount: r.onBusyUmount,
    killGraceMs: BUSY_UMOUNT_KILL_GRACE_MS,
    onDemoteFailure: config.fencing.onDemoteFailure?.command ?? null,
  };
}

export function resourceExecConfigs(config: SentinelConfig): ReadonlyMap<string, ResourceExecConfig> {
  return new Map(config.resources.map((r) => [r.name, resourceExecConfig(config, r)]));
}

export function fenceHandlers(config: SentinelConfig): FenceHandlerConfig[] {
  return config.fencing.handlers.map((h) => ({ name: h.name, command: h.command, timeoutMs: h.timeoutMs }));
}

/** Budget for a whole fence-peer action: every handler's timeout in turn, plus slack for spawning. */
export function fenceBudgetMs(config: SentinelConfig): number {
  return config.fencing.handlers.reduce((sum, h) => sum + h.timeoutMs, 0) + 5_000;
}

/** One heartbeat link per address pair, in configuration order (the same order on both nodes). */
export function heartbeatLinks(config: SentinelConfig, nodes: LocalNodes): LinkSpec[] {
  return nodes.local.addresses.map((localAddress, i) => ({
    localAddress,
    localPort: config.heartbeat.port,
    peerAddress: nodes.peer.addresses[i] as string,
    peerPort: config.heartbeat.port,
  }));
}
