import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCounters } from '../../../src/membership/index.js';
import { SentinelMetrics } from '../../../src/metrics/index.js';
import { REPO_ROOT } from '../../support/membership-harness.js';

/** Every `drbd_sentinel_*` name written in README.md and docs/*.md. */
function documentedNames(): Set<string> {
  const files = [
    join(REPO_ROOT, 'README.md'),
    ...readdirSync(join(REPO_ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(REPO_ROOT, 'docs', f)),
  ];
  const names = new Set<string>();
  for (const f of files)
    for (const m of readFileSync(f, 'utf8').matchAll(/drbd_sentinel_[a-z_]+/g)) names.add(m[0]);
  return names;
}

/** The daemon's registry (as `Daemon` builds it: membership counters of two links attached), one sample of each kind fed. */
async function exportedSamples(): Promise<{ samples: Set<string>; registered: Set<string> }> {
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

describe('documented metrics', () => {
  it('every metric name in README.md and docs/*.md is exported with a sample, and every exported one is documented', async () => {
    const documented = documentedNames();
    const { samples, registered } = await exportedSamples();
    expect(documented.size).toBeGreaterThan(10);
    const hasSample = (n: string): boolean =>
      samples.has(n) || ['_bucket', '_sum', '_count'].some((s) => samples.has(n + s));
    expect([...documented].filter((n) => !hasSample(n))).toEqual([]);
    expect([...registered].filter((n) => !documented.has(n))).toEqual([]);
  });
});
