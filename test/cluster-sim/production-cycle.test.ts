/**
 * The seeded schedules exercise the production cycle (src/daemon/cycle/cycle.ts), not a copy of it: with
 * that module's Cycle replaced by a stub whose loop never runs, a schedule that passes with the real one
 * fails (nothing is ever decided, so the service never comes back).
 */
import { describe, expect, it, vi } from 'vitest';
import type * as CycleModule from '../../src/daemon/cycle/cycle.js';
import { runSeed } from './support/world.js';

vi.mock('../../src/daemon/cycle/cycle.js', async (importOriginal) => {
  const real = await importOriginal<typeof CycleModule>();
  class StubCycle extends real.Cycle {
    override start(): void {}
  }
  return { ...real, Cycle: StubCycle };
});

describe('cluster simulation runs the production cycle', () => {
  it('fails a schedule when the cycle module is a stub', async () => {
    const r = await runSeed(0);
    expect(r.promotes).toBe(0);
    expect(r.violations.some((v) => v.includes('liveness'))).toBe(true);
  });
});
