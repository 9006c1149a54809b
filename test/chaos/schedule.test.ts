import { describe, expect, it } from 'vitest';
import { failovers, median } from './metrics.js';
import { FAULT_KINDS, makeSchedule } from './schedule.js';

describe('chaos schedules', () => {
  it('are a function of the seed alone', () => {
    expect(makeSchedule(42, { deadtimeMs: 1_000 })).toEqual(makeSchedule(42, { deadtimeMs: 1_000 }));
    expect(makeSchedule(42, { deadtimeMs: 1_000 })).not.toEqual(makeSchedule(43, { deadtimeMs: 1_000 }));
  });

  it('draw 3-5 faults in time order, freezes shorter and longer than the dead time, every kind over many seeds', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 300; seed++) {
      const s = makeSchedule(seed, { deadtimeMs: 1_000 });
      expect(s.faults.length).toBeGreaterThanOrEqual(3);
      expect(s.faults.length).toBeLessThanOrEqual(5);
      for (const [k, f] of s.faults.entries()) {
        seen.add(f.fault.kind);
        if (k > 0) expect(f.atMs).toBeGreaterThan(s.faults[k - 1]!.atMs);
        if (f.fault.kind === 'freeze-short') expect(f.durationMs).toBeLessThan(1_000);
        if (f.fault.kind === 'freeze-long') expect(f.durationMs).toBeGreaterThan(1_000);
        expect(s.endMs).toBeGreaterThanOrEqual(f.atMs + f.durationMs);
      }
    }
    expect([...seen].sort()).toEqual([...FAULT_KINDS].sort());
  });
});

describe('chaos metrics', () => {
  it('counts a failover and the gap without a Primary; a restart of the same Primary is none', () => {
    const f = failovers([
      { tMs: 0, roles: ['Primary', 'Secondary'] },
      { tMs: 1_000, roles: [null, 'Secondary'] },
      { tMs: 4_000, roles: [null, 'Primary'] },
      { tMs: 9_000, roles: ['Secondary', 'Primary'] },
      { tMs: 10_000, roles: ['Secondary', null] },
      { tMs: 12_000, roles: ['Secondary', 'Primary'] },
    ]);
    expect(f).toEqual([{ from: 0, to: 1, atMs: 1_000, gapMs: 3_000 }]);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNull();
  });
});
