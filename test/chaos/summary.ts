/**
 * bench/results/chaos.json from the results of a chaos run: schedules, faults by kind, failovers,
 * takeover gaps and recovery times with medians, end states, violations with their seeds, machine
 * load. Pure (the caller adds nothing but the file write).
 */
import { median } from './metrics.js';
import type { ScheduleResult } from './support/run-schedule.js';

export interface RunInfo {
  readonly requested: number;
  readonly baseSeed: number;
  readonly startedAt: string;
  readonly now: string;
  readonly cpus: number;
}

export function summarize(results: readonly ScheduleResult[], info: RunInfo) {
  const faultsByKind: Record<string, { injected: number; skipped: number }> = {};
  for (const r of results)
    for (const f of r.faults) {
      const k = (faultsByKind[f.kind] ??= { injected: 0, skipped: 0 });
      if (f.applied) k.injected++;
      else k.skipped++;
    }
  const gaps = results.flatMap((r) => r.failovers.map((f) => f.gapMs));
  const recoveries = results.flatMap((r) =>
    r.check === null || r.check.recoveryMs === null ? [] : [r.check.recoveryMs],
  );
  const endStates: Record<string, number> = {};
  for (const r of results) {
    const e = r.check?.endState;
    const key = e === undefined ? 'harness-error' : e.kind === 'operator' ? `operator:${e.state}` : e.kind;
    endStates[key] = (endStates[key] ?? 0) + 1;
  }
  const durations = results.map((r) => r.durationMs);
  const elapsedMin = (Date.parse(info.now) - Date.parse(info.startedAt)) / 60_000;
  const loads = results.map((r) => r.loadavg[0] ?? 0);
  return {
    what: 'npm run test:chaos: randomized fault schedules against a real daemon pair on simulated DRBD in network namespaces (docs/chaos-tests.md)',
    startedAt: info.startedAt,
    finishedAt: info.now,
    baseSeed: info.baseSeed,
    schedules: { requested: info.requested, run: results.length, passed: results.filter((r) => r.ok).length },
    schedulesPerMinute: elapsedMin > 0 ? Math.round((results.length / elapsedMin) * 100) / 100 : null,
    scheduleDurationMs: { median: median(durations), max: durations.length ? Math.max(...durations) : null },
    faultsByKind,
    failovers: gaps.length,
    takeoverGapMs: {
      note: 'per failover: time with no Primary between the old Primary stopping and the new one promoting',
      median: median(gaps),
      max: gaps.length ? Math.max(...gaps) : null,
      all: gaps,
    },
    recoveryAfterHealMs: {
      median: median(recoveries),
      max: recoveries.length ? Math.max(...recoveries) : null,
    },
    endStates,
    acknowledgedWrites: results.reduce((n, r) => n + r.acked, 0),
    violations: results
      .filter((r) => !r.ok)
      .map((r) => ({
        seed: r.seed,
        failed: r.check?.verdicts.filter((v) => !v.ok).map((v) => `${v.check}: ${v.detail}`) ?? [],
        error: r.error,
        faults: r.faults.map(
          (f) => `${f.atMs} ms ${f.what}${f.node ? ` (${f.node})` : ''}${f.applied ? '' : ' [skipped]'}`,
        ),
        keptDir: r.keptDir,
      })),
    machine: {
      cpus: info.cpus,
      loadavg1: { median: median(loads), max: loads.length ? Math.max(...loads) : null },
    },
  };
}
