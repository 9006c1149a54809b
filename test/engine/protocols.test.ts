/**
 * Multi-step protocols between two engines in the pair model (pair-model.ts), deterministic schedules:
 * switchover from either side, standby, failback, the dopd rule across a replication cut and a crash,
 * heartbeat-only cuts, a fence race, and simultaneous startup. After every step: never two Primaries,
 * never a stale promotion.
 */
import { describe, expect, it } from 'vitest';
import type { EnginePolicy } from '../../src/engine/index.js';
import { policy } from './builders.js';
import type { Event, World } from './pair-model.js';
import { newWorld, run } from './pair-model.js';

const tick = (n: number, ms = 1_000): Event[] =>
  Array.from({ length: n }, () => ({ kind: 'advance', ms }) as const);
const base: EnginePolicy = policy({
  fencing: 'stonith',
  fenceDelayMs: 5_000,
  initdeadMs: 20_000,
  degradedInitdeadMs: 10_000,
});

function primaries(w: World): string[] {
  return (['alpha', 'bravo'] as const).filter((n) => w.nodes[n].up && w.nodes[n].role === 'Primary');
}

function reasonsOf(w: World): string[] {
  return [...w.reasons.keys()];
}

describe('two-engine protocols', () => {
  it('switchover started on the Primary moves the resource to the peer', () => {
    const w = run(
      [{ kind: 'write' }, { kind: 'switchover', at: 'alpha', to: 'bravo' }, ...tick(6), { kind: 'write' }],
      base,
      [true],
    );
    expect(w.violations).toEqual([]);
    expect(primaries(w)).toEqual(['bravo']);
    expect(reasonsOf(w)).toEqual(expect.arrayContaining(['SWITCHOVER_RELEASE', 'PEER_REQUEST_TAKEOVER']));
    expect(w.nodes.alpha.switchTo).toBeNull();
  });

  it('switchover started on the Secondary asks for a release, then takes over', () => {
    const w = run([{ kind: 'write' }, { kind: 'switchover', at: 'bravo', to: 'bravo' }, ...tick(6)], base, [
      false,
    ]);
    expect(w.violations).toEqual([]);
    expect(primaries(w)).toEqual(['bravo']);
    expect(reasonsOf(w)).toEqual(
      expect.arrayContaining(['SWITCHOVER_REQUEST_RELEASE', 'PEER_REQUEST_RELEASE', 'SWITCHOVER_TAKEOVER']),
    );
  });

  it('standby on the Primary hands the resource over and the standby node does not take it back', () => {
    const w = run([{ kind: 'standby', node: 'alpha', value: true }, ...tick(80)], base, [true, false]);
    expect(w.violations).toEqual([]);
    expect(primaries(w)).toEqual(['bravo']);
    expect(reasonsOf(w)).toContain('STANDBY_RELEASE');
  });

  it('failback: the preferred node takes the resource back after the stability delay', () => {
    const pol = policy({ ...base, preferredNode: 'alpha', failbackDelayMs: 10_000 });
    const w = run(
      [
        { kind: 'write' },
        { kind: 'crash', node: 'alpha' },
        ...tick(8),
        { kind: 'write' },
        { kind: 'boot', node: 'alpha' },
        ...tick(40),
      ],
      pol,
      [true, false],
    );
    expect(w.violations).toEqual([]);
    expect(reasonsOf(w)).toEqual(
      expect.arrayContaining(['TAKEOVER_FENCED', 'FAILBACK_WAIT_STABLE', 'FAILBACK_REQUEST_RELEASE']),
    );
    expect(primaries(w)).toEqual(['alpha']);
  });

  it('dopd rule: a replication cut outdates the Secondary, which then refuses to take over after a Primary crash', () => {
    const w = run(
      [
        { kind: 'write' },
        { kind: 'cut-repl' },
        ...tick(2),
        { kind: 'write' },
        { kind: 'crash', node: 'alpha' },
        ...tick(20),
      ],
      base,
      [true, false],
    );
    expect(w.violations).toEqual([]);
    expect(w.nodes.bravo.disk).toBe('Outdated');
    expect(primaries(w)).toEqual([]);
    expect(reasonsOf(w)).toEqual(expect.arrayContaining(['OUTDATE_PEER_REPL_LOST', 'REFUSE_NOT_UPTODATE']));
    expect(w.ackedVersion).toBe(2);
  });

  it('heartbeat-only cut: nobody fences, nobody takes over', () => {
    const w = run([{ kind: 'write' }, { kind: 'cut-hb' }, ...tick(30)], base, [true, false]);
    expect(w.violations).toEqual([]);
    expect(primaries(w)).toEqual(['alpha']);
    expect(w.nodes.bravo.up).toBe(true);
    expect(reasonsOf(w)).toEqual(
      expect.arrayContaining(['PRIMARY_PEER_SILENT_CONNECTED', 'HOLD_PEER_PRIMARY']),
    );
  });

  it('full partition under stonith: the Primary wins the fence race, the Secondary is fenced', () => {
    const w = run([{ kind: 'write' }, { kind: 'cut-hb' }, { kind: 'cut-repl' }, ...tick(10)], base, [
      false,
      true,
    ]);
    expect(w.violations).toEqual([]);
    expect(primaries(w)).toEqual(['alpha']);
    expect(w.nodes.bravo.up).toBe(false);
  });

  it('full partition with a failing fence device: nobody takes over, the Secondary keeps paging', () => {
    const w = run(
      [
        { kind: 'write' },
        { kind: 'fence-fails', value: true },
        { kind: 'cut-hb' },
        { kind: 'cut-repl' },
        ...tick(30),
      ],
      base,
      [true, false],
    );
    expect(w.violations).toEqual([]);
    expect(primaries(w)).toEqual(['alpha']);
    expect(w.nodes.bravo.role).toBe('Secondary');
    expect(reasonsOf(w)).toContain('FENCE_FAILED_BACKOFF');
  });

  it('simultaneous startup elects exactly one Primary: by name, or the preferred node', () => {
    const byName = run(tick(5), base, [true, false], newWorld({ alpha: 'Secondary', bravo: 'Secondary' }));
    expect(primaries(byName)).toEqual(['alpha']);
    expect(reasonsOf(byName)).toContain('STARTUP_ELECT');
    const preferred = run(
      tick(5),
      policy({ ...base, preferredNode: 'bravo' }),
      [true, false],
      newWorld({ alpha: 'Secondary', bravo: 'Secondary' }),
    );
    expect(primaries(preferred)).toEqual(['bravo']);
    expect(preferred.violations).toEqual([]);
  });
});
