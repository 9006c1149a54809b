/**
 * Runs a range of seeds as one vitest test and fails with the first failing seed's report (schedule,
 * violations, trace tail, replay command). `SEED=n` replays one seed alone (with its whole trace on
 * failure); `SEEDS=n` changes how many seeds the default run covers.
 */
import { expect, it } from 'vitest';
import { livenessBoundMs } from './sim-config.js';
import { failureReport, runSeed, type LivenessExclusion } from './world.js';

/** Seeds per `npm test` run (the brief asks for at least 1000), split over the tier's files. */
export const DEFAULT_SEEDS = 1000;

export function seedCount(): number {
  const n = Number(process.env.SEEDS ?? DEFAULT_SEEDS);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_SEEDS;
}

/** The single seed to replay (SEED=n), or null. */
export function replaySeed(): number | null {
  const s = process.env.SEED;
  if (s === undefined || s === '') return null;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`SEED must be a non-negative integer, got ${s}`);
  return n;
}

/** Defines the test for shard `shard` of `shards` (seeds i with i % shards === shard). */
export function defineSeedShard(shard: number, shards: number): void {
  const replay = replaySeed();
  if (replay !== null) {
    if (shard === 0)
      it(`seed ${replay} (replay)`, async () => {
        const r = await runSeed(replay);
        if (r.violations.length > 0) expect.fail(failureReport(r, 600));
        expect(r.violations).toEqual([]);
      });
    else defineDeterminism([replay]);
    return;
  }
  if (shard === shards - 1) defineDeterminism([0, 1, 2]);
  const count = seedCount();
  const seeds = Array.from({ length: count }, (_, i) => i).filter((i) => i % shards === shard);
  it(`${seeds.length} seeded fault schedules: no two Primaries, no stale promotion, no lost write, service back within the bound`, async () => {
    const excluded: Record<LivenessExclusion, number[]> = {
      'split-brain': [],
      escalated: [],
      'no-uptodate-disk': [],
    };
    let promotes = 0;
    let maxRecoveryMs = 0;
    const reasons = new Set<string>();
    let stonith = 0;
    let acknowledged = 0;
    for (const seed of seeds) {
      const r = await runSeed(seed);
      if (r.violations.length > 0) expect.fail(failureReport(r));
      if (r.exclusion !== null) excluded[r.exclusion].push(seed);
      promotes += r.promotes;
      stonith += r.stonith;
      acknowledged += r.acknowledged;
      if (r.recoveryMs !== null) maxRecoveryMs = Math.max(maxRecoveryMs, r.recoveryMs);
      for (const x of r.reasons) reasons.add(x);
    }
    // What the run covered, for the log (the liveness exclusions name their seeds for a closer look).
    console.log(
      `cluster-sim shard ${shard}/${shards}: ${seeds.length} seeds, ${promotes} promotes, ${stonith} STONITH, ${acknowledged} acknowledged writes; slowest recovery after the heal ${maxRecoveryMs} ms (bound ${livenessBoundMs()} ms); liveness excluded: ${JSON.stringify(excluded)}; reason codes reached (${reasons.size}): ${[...reasons].sort().join(' ')}`,
    );
    // The workload really ran and failovers really happened.
    expect(acknowledged).toBeGreaterThan(seeds.length * 100);
    expect(promotes).toBeGreaterThan(seeds.length);
  });
}

/** The same seed twice gives the same trace, violations and counts (no hidden real time or Math.random). */
function defineDeterminism(seeds: readonly number[]): void {
  it(`replays seeds ${seeds.join(', ')} exactly`, async () => {
    for (const seed of seeds) {
      const a = await runSeed(seed);
      const b = await runSeed(seed);
      expect(b.trace).toEqual(a.trace);
      expect(b.violations).toEqual(a.violations);
      expect([b.acknowledged, b.promotes, b.stonith, b.endMs]).toEqual([
        a.acknowledged,
        a.promotes,
        a.stonith,
        a.endMs,
      ]);
    }
  });
}
