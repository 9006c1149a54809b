/**
 * The chaos tier: CHAOS_SCHEDULES seeded schedules (default 8) from CHAOS_BASE_SEED (default: from
 * the clock, printed), or exactly the seeds in CHAOS_SEEDS. `npm run test:chaos -- --seed S` and
 * `--schedules N` set these (test/chaos/run.ts). With CHAOS_RESULTS=FILE the summary is rewritten
 * after every schedule, so a long run that is stopped early still leaves its numbers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFault, makeSchedule } from './schedule.js';
import { DEADTIME_MS } from '../netns/support/netns-pair.js';
import { runSchedule, type ScheduleResult } from './support/run-schedule.js';
import { summarize } from './summary.js';

const baseSeed = Number(process.env.CHAOS_BASE_SEED ?? Date.now() % 1_000_000_007);
const seeds = process.env.CHAOS_SEEDS
  ? process.env.CHAOS_SEEDS.split(',').map(Number)
  : Array.from({ length: Number(process.env.CHAOS_SCHEDULES ?? 8) }, (_, k) => baseSeed + k);
const resultsFile = process.env.CHAOS_RESULTS;
const startedAt = new Date().toISOString();
const results: ScheduleResult[] = [];

process.stdout.write(`chaos: ${seeds.length} schedule(s), seeds ${seeds.join(', ')}\n`);

describe('chaos: randomized fault schedules against a real pair', () => {
  for (const seed of seeds)
    it(`schedule seed ${seed}`, async () => {
      const plan = makeSchedule(seed, { deadtimeMs: DEADTIME_MS });
      process.stdout.write(
        `chaos seed ${seed}: ${plan.faults.map((f) => `@${f.atMs} ${describeFault(f.fault)} for ${f.durationMs} ms`).join('; ')}\n`,
      );
      const r = await runSchedule(seed);
      results.push(r);
      process.stdout.write(
        `chaos seed ${seed}: ${r.ok ? 'ok' : 'FAILED'} in ${Math.round(r.durationMs / 1000)} s, ` +
          `end ${r.check ? JSON.stringify(r.check.endState) : 'none'}, ${r.acked} writes acknowledged, ` +
          `${r.failovers.length} failover(s)${r.keptDir ? `; kept: ${r.keptDir}` : ''}; reproduce: npm run test:chaos -- --seed ${seed}\n`,
      );
      if (resultsFile) {
        mkdirSync(dirname(resultsFile), { recursive: true });
        const summary = summarize(results, {
          requested: seeds.length,
          baseSeed,
          startedAt,
          now: new Date().toISOString(),
          cpus: cpus().length,
        });
        writeFileSync(resultsFile, `${JSON.stringify(summary, null, 2)}\n`);
      }
      expect(r.error, `harness or monitor error (seed ${seed}, kept ${r.keptDir})`).toBeNull();
      expect(
        r.check?.verdicts.filter((v) => !v.ok).map((v) => `${v.check}: ${v.detail}`),
        `violations (seed ${seed}, kept ${r.keptDir})`,
      ).toEqual([]);
    });
});
