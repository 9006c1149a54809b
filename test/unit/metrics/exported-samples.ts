import { createCounters } from '../../../src/membership/index.js';
import { SentinelMetrics } from '../../../src/metrics/index.js';
import { arbiterMetrics } from '../../../src/metrics/arbiter-metrics.js';

/** The daemon's registry (as `Daemon` builds it: membership counters of two links attached), one sample of each kind fed. */
export async function exportedSamples(): Promise<{ samples: Set<string>; registered: Set<string> }> {
  const m = new SentinelMetrics({ node: 'alpha', version: '0.0.0' });
  m.observeMembership(createCounters(2));
  m.setLink('link0', true, 1);
  m.setPeerReachable(true);
  m.decision('ALL_GOOD');
  m.action('promote', 'ok', 10);
  m.notifyDelivery({ hook: 'h', kind: 'command', status: 'ok', attempts: 1, durationMs: 1 });
  m.setResource('r0', { role: 'Primary', disk: 'UpToDate', cstate: 'SyncSource', syncPercent: 1 });
  m.setModes({ standby: false, maintenance: false });
  m.setOpenAlerts(0);
  m.loopCycle(1);
  // The arbiter's metrics join the registry only when an arbiter is configured (daemon/arbiter.ts).
  const arbiter = arbiterMetrics(m.registry);
  arbiter.roundTrip?.('claim', 2, true);
  arbiter.leaseRenewal?.(true);
  arbiter.failure?.('ARBITER_TIMEOUT');
  const text = await m.registry.metrics();
  const samples = new Set(
    text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/)[0] ?? ''),
  );
  const registered = new Set(m.registry.getMetricsAsArray().map((x) => x.name));
  return { samples, registered };
}

/** Whether `name` has a sample (a histogram's name counts through its _bucket/_sum/_count series). */
export function hasSample(samples: ReadonlySet<string>, name: string): boolean {
  return samples.has(name) || ['_bucket', '_sum', '_count'].some((s) => samples.has(name + s));
}
