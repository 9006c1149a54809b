import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DISK_STATES } from '../../../src/drbd/index.js';
import { REASONS } from '../../../src/engine/reasons.js';
import { REPO_ROOT } from '../../support/membership-harness.js';
import { exportedSamples, hasSample } from '../metrics/exported-samples.js';
import { requireTools, sh } from './tools.js';

const PROM = join(REPO_ROOT, 'config/prometheus');
const RULES = join(PROM, 'drbd-sentinel-rules.yml');
const DASHBOARD = join(REPO_ROOT, 'config/grafana/drbd-sentinel-dashboard.json');

interface Rule {
  alert: string;
  expr: string;
}
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
);
const panels = (
  JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] }
).panels;
const expressions = [
  ...rules.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })),
  ...panels.flatMap((p) => p.targets.map((t) => ({ where: `panel ${p.title}`, expr: t.expr }))),
];

/** Metric names of a PromQL expression: every name written with a label selector, and every drbd_sentinel_ name. */
function metricsOf(expr: string): string[] {
  return [
    ...new Set([
      ...[...expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1] as string),
      ...[...expr.matchAll(/drbd_sentinel_[a-z_]+/g)].map((m) => m[0]),
    ]),
  ];
}

describe('Prometheus alert rules', () => {
  it('pass promtool check rules and the promtool unit tests of every alert', () => {
    requireTools('promtool');
    const check = sh('promtool', ['check', 'rules', RULES]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    const test = sh('promtool', ['test', 'rules', 'drbd-sentinel-rules.test.yml'], { cwd: PROM });
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toContain('SUCCESS');
  });

  it('cover the alerts the issue names, each fired by at least one promtool test case', () => {
    const names = rules.map((r) => r.alert);
    for (const a of ['Down', 'SplitBrain', 'PeerLost', 'Degraded', 'FenceFailed', 'DiskNotUpToDate'])
      expect(names).toContain(`DrbdSentinel${a}`);
    const tests = (
      parse(readFileSync(join(PROM, 'drbd-sentinel-rules.test.yml'), 'utf8')) as {
        tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test);
    for (const a of names) {
      expect(
        tests.some((t) => t.alertname === a && t.exp_alerts.length > 0),
        `${a} fires`,
      ).toBe(true);
      expect(
        tests.some((t) => t.alertname === a && t.exp_alerts.length === 0),
        `${a} stays quiet`,
      ).toBe(true);
    }
  });
});

describe('rules and dashboard use only what the daemon exports', () => {
  it("every metric of a rule or panel is on the daemon's /metrics (up is Prometheus' own)", async () => {
    const { samples } = await exportedSamples();
    const missing = expressions.flatMap(({ where, expr }) =>
      metricsOf(expr)
        .filter((m) => m !== 'up' && !hasSample(samples, m))
        .map((m) => `${where}: ${m}`),
    );
    expect(missing).toEqual([]);
    expect(
      expressions.flatMap(({ expr }) => metricsOf(expr)).filter((m) => m.startsWith('drbd_sentinel_')).length,
    ).toBeGreaterThan(20);
  });

  it('label values in the rules are real reason codes, action kinds and disk states', () => {
    const all = rules.map((r) => r.expr).join('\n');
    for (const m of all.matchAll(/reason="([A-Z_]+)"/g)) expect(Object.keys(REASONS)).toContain(m[1]);
    for (const m of all.matchAll(/disk="([A-Za-z]+)"/g)) expect(DISK_STATES).toContain(m[1]);
    // fence-peer is the plan action the executor reports for the node fence handler chain.
    expect(readFileSync(join(REPO_ROOT, 'src/engine/plan.ts'), 'utf8')).toContain("kind: 'fence-peer'");
  });
});
