import type { SentinelConfig } from '../config/index.js';
import { DEFAULT_POLICY, type EnginePolicy } from '../engine/index.js';

/**
 * Maps the validated configuration onto the engine's policy (plain ms and enums). Pure.
 * `preferred-node`, `failback-delay` and `fsck` are per resource in the file; the engine policy holds one
 * value, so they come from the first resource that sets them (check-config warns when resources differ).
 */
export function enginePolicyFromConfig(config: SentinelConfig): EnginePolicy {
  const first = config.resources[0];
  const preferred = config.resources.find((r) => r.preferredNode !== null)?.preferredNode ?? null;
  return {
    ...DEFAULT_POLICY,
    fencing: config.fencing.policy,
    acceptRisk: config.fencing.acceptRisk,
    fenceDelayMs: config.fencing.delayMs,
    deadtimeMs: config.heartbeat.deadtimeMs,
    initdeadMs: config.heartbeat.initdeadMs,
    degradedInitdeadMs: config.heartbeat.degradedInitdeadMs,
    preferredNode: preferred,
    failbackDelayMs: first?.failbackDelayMs ?? DEFAULT_POLICY.failbackDelayMs,
    fsck: config.resources.some((r) => r.fsck),
    onDemoteFailure: config.fencing.onDemoteFailure !== null,
  };
}
