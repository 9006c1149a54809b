import type { LocalNodes, SentinelConfig } from '../config/index.js';
import { fenceBudgetMs, resourceExecConfigs } from './adapters.js';
import type { CycleSettings } from './cycle/index.js';
import { enginePolicyFromConfig } from './engine-policy.js';
import { outdateCapMs } from './peer-requester.js';

/** The configuration as the cycle reads it. Pure. */
export function cycleSettingsFromConfig(config: SentinelConfig, nodes: LocalNodes): CycleSettings {
  return {
    self: nodes.local.name,
    peer: nodes.peer.name,
    linkNames: nodes.local.addresses.map((a, i) => `link${i}:${a}`),
    policy: enginePolicyFromConfig(config),
    resources: resourceExecConfigs(config),
    fenceTimeoutMs: fenceBudgetMs(config),
    outdateCapMs: outdateCapMs(config.heartbeat.deadtimeMs),
  };
}
