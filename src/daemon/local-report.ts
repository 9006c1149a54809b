import type { Observation } from '../engine/index.js';
import type { EngineMemory } from '../engine/index.js';
import type { DaemonHealth, NodeReport } from '../membership/index.js';

/**
 * What this node tells its peer in every heartbeat, derived from its latest observation and memory.
 * Pure. A resource with no DRBD device reports Unconfigured/DUnknown so the peer never mistakes it
 * for a healthy Secondary.
 */
export function buildNodeReport(obs: Observation, memory: EngineMemory, health: DaemonHealth): NodeReport {
  return {
    resources: obs.resources.map((r) => ({
      name: r.name,
      role: r.drbd?.role ?? 'Unknown',
      disk: r.drbd?.disk ?? 'DUnknown',
      cstate: r.drbd?.cstate ?? 'Unconfigured',
      peerDisk: r.drbd?.peerDisk ?? 'DUnknown',
      mounted: r.mounted,
      servicesUp: r.servicesUp,
      splitBrain: r.splitBrain || (memory.resources[r.name]?.frozen ?? false),
      currentUuid: r.currentUuid,
      lastPrimary: memory.resources[r.name]?.lastPrimary ?? null,
    })),
    standby: obs.intents.standby,
    maintenance: obs.intents.maintenance,
    health,
  };
}
