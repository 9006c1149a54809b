import type { Registry } from 'prom-client';
import { EtcdArbiter } from '../arbiter/etcd.js';
import type { ArbiterPort } from '../arbiter/port.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { LocalNodes, SentinelConfig } from '../config/index.js';
import { arbiterMetrics } from '../metrics/arbiter-metrics.js';

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
