import type { Registry } from 'prom-client';
import { EtcdArbiter } from '../arbiter/etcd.js';
import { FleetPublisher, type FleetView } from '../arbiter/fleet-publisher.js';
import type { ArbiterPort } from '../arbiter/port.js';
import { systemWallClock, type Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { LocalNodes, SentinelConfig } from '../config/index.js';
import type { Decision, Observation } from '../engine/index.js';
import { arbiterMetrics } from '../metrics/arbiter-metrics.js';
import type { CycleObserver } from './cycle/index.js';

/**
 * The arbiter the configuration asks for, or null (no `arbiter:` section: today's behaviour).
 * Building it loads nothing: the etcd client is imported when the adapter first connects.
 */
export function buildArbiter(
  config: SentinelConfig,
  nodes: LocalNodes,
  clock: Clock,
  logger: Logger,
  registry: Registry,
): ArbiterPort | null {
  if (config.arbiter === null) return null;
  return new EtcdArbiter({
    config: config.arbiter.etcd,
    cluster: config.cluster.name,
    node: nodes.local.name,
    resources: config.resources.map((r) => r.name),
    clock,
    logger,
    observer: arbiterMetrics(registry),
  });
}

/** The fleet status publisher of this daemon (issue 15 item 4), or null without an arbiter. */
export function buildFleetPublisher(
  arbiter: ArbiterPort | null,
  config: SentinelConfig,
  nodes: LocalNodes,
  clock: Clock,
): FleetPublisher | null {
  if (arbiter === null) return null;
  return new FleetPublisher({
    arbiter,
    clock,
    wall: systemWallClock,
    cluster: config.cluster.name,
    node: nodes.local.name,
    peer: nodes.peer.name,
  });
}

/** The compact view `fleet status` shows, from one decision and the observation it was made on. Pure. */
export function fleetView(obs: Observation, decision: Decision): FleetView {
  return {
    peerReachable: obs.peer.reachable,
    resources: obs.resources.map((r) => ({
      name: r.name,
      role: r.drbd?.role ?? 'Unknown',
      disk: r.drbd?.disk ?? 'DUnknown',
      connection: r.drbd?.cstate ?? 'Unconfigured',
    })),
    lastDecision: decision.reason,
  };
}

/** `inner`, and every decision offered to the fleet publisher (unchanged when there is none). */
export function withFleetStatus(inner: CycleObserver, publisher: FleetPublisher | null): CycleObserver {
  if (publisher === null) return inner;
  return {
    ...inner,
    decided: (obs, decision, changed) => {
      inner.decided(obs, decision, changed);
      publisher.offer(fleetView(obs, decision));
    },
  };
}
