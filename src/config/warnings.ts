import { isIP } from 'node:net';
import type { RuleFinding } from './rules.js';
import type { SentinelConfig } from './schema.js';

/**
 * Valid but risky or surprising settings. check-config prints them on stderr; `run` logs them at
 * every start (SAFETY.md: an accepted risk stays loud). Paths use the file's key names. Pure.
 */
export function configWarnings(config: SentinelConfig): RuleFinding[] {
  const out: RuleFinding[] = [];
  const [a, b] = config.nodes;
  if (a.addresses.length === 1 && b.addresses.length === 1) {
    out.push({
      path: ['nodes'],
      message:
        'a single heartbeat link: when that one link fails the peer looks dead although it is running; add a second link (another network or a crossover cable) by giving each node a second address',
    });
  }
  const f = config.fencing;
  if (f.policy === 'none') {
    out.push({
      path: ['fencing', 'policy'],
      message:
        'policy none with accept-risk: this node takes over from an unreachable peer without proof that it stopped; a partition makes both nodes primary and loses writes',
    });
  } else if (f.acceptRisk) {
    out.push({
      path: ['fencing', 'accept-risk'],
      message: `accept-risk has no effect with policy ${f.policy}`,
    });
  }
  if (f.policy === 'resource-only') {
    out.push({
      path: ['fencing', 'policy'],
      message:
        'policy resource-only: no automatic takeover when the peer becomes unreachable (only planned switchovers and takeovers from a peer that reported its own failure); configure a fence handler and policy stonith for automatic failover',
    });
  }
  if (config.notify.length === 0) {
    out.push({
      path: ['notify'],
      message:
        'no notify hooks: nobody is told about split-brain, failed fencing or a failover; add a notify entry',
    });
  }
  const m = config.control.metrics;
  if (m !== null && !isLoopback(m.host)) {
    out.push({
      path: ['control', 'metrics'],
      message: `the metrics endpoint listens on ${m.host}, not only on loopback: it is unauthenticated; restrict access with a firewall`,
    });
  }
  const h = config.heartbeat;
  if (h.warntimeMs < h.intervalMs) {
    out.push({
      path: ['heartbeat', 'warntime'],
      message: 'warntime is shorter than interval: every link is reported late between two heartbeats',
    });
  }
  return out;
}

function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
