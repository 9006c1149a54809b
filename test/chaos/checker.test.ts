import { describe, expect, it } from 'vitest';
import { checkHistory, type ChaosHistory, type FinalNode } from './checker.js';

/** A clean schedule: alpha Primary throughout, one failover-free run, everything on both disks. */
const primary: FinalNode = {
  role: 'Primary',
  disk: 'UpToDate',
  cstate: 'Connected',
  mounted: true,
  frozen: false,
  lastReason: 'STEADY_PRIMARY_HERE',
  held: ['w1', 'w2', 'w3'],
  pages: [],
};
const secondary: FinalNode = {
  ...primary,
  role: 'Secondary',
  mounted: false,
  lastReason: 'STEADY_PRIMARY_THERE',
};
const clean: ChaosHistory = {
  nodes: ['alpha', 'bravo'],
  samples: [
    { tMs: 0, roles: ['Primary', 'Secondary'] },
    { tMs: 50, roles: [null, 'Secondary'] },
    { tMs: 4_000, roles: [null, 'Primary'] },
    { tMs: 9_000, roles: ['Secondary', 'Primary'] },
  ],
  acked: [
    { id: 'w1', node: 0, tMs: 10 },
    { id: 'w2', node: 1, tMs: 4_100 },
    { id: 'w3', node: 1, tMs: 10_500 },
  ],
  healedAtMs: 10_000,
  final: [secondary, primary],
};
const options = { recoveryBoundMs: 45_000 };
const failed = (h: ChaosHistory) =>
  checkHistory(h, options)
    .verdicts.filter((v) => !v.ok)
    .map((v) => v.check);

describe('chaos checker', () => {
  it('accepts a clean history: one Primary at a time, every write kept, served again, steady', () => {
    const r = checkHistory(clean, options);
    expect(r.verdicts.filter((v) => !v.ok)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.endState).toEqual({ kind: 'steady', primary: 1 });
    expect(r.recoveryMs).toBe(500);
  });

  it('catches a double Primary in a single sample', () => {
    const h = {
      ...clean,
      samples: [...clean.samples, { tMs: 9_050, roles: ['Primary', 'Primary'] as const }],
    };
    expect(failed(h)).toEqual(['single-primary']);
  });

  it('catches an acknowledged write missing from the final Primary (even if the other node has it)', () => {
    const h: ChaosHistory = {
      ...clean,
      acked: [...clean.acked, { id: 'w0', node: 0, tMs: 20 }],
      final: [{ ...secondary, held: ['w0', 'w1', 'w2', 'w3'] }, primary],
    };
    expect(failed(h)).toEqual(['acked-writes']);
    expect(checkHistory(h, options).verdicts[1]?.detail).toContain('w0');
  });

  it('does not require writes whose only copy was on a failed disk, and still catches any other loss', () => {
    const h: ChaosHistory = {
      ...clean,
      acked: [...clean.acked, { id: 'w0', node: 0, tMs: 20 }],
      lostWithFailedDisk: ['w0'],
    };
    expect(failed(h)).toEqual([]);
    const other: ChaosHistory = { ...h, acked: [...h.acked, { id: 'w9', node: 1, tMs: 30 }] };
    expect(failed(other)).toEqual(['acked-writes']);
  });

  it('catches a stuck pair: both Secondary with UpToDate disks, nobody serving', () => {
    const h: ChaosHistory = {
      ...clean,
      acked: clean.acked.filter((w) => w.tMs < clean.healedAtMs),
      final: [secondary, { ...secondary, lastReason: 'HOLD_PEER_UNCERTAIN' }],
    };
    const r = checkHistory(h, options);
    expect(r.endState.kind).toBe('stuck');
    expect(failed(h)).toEqual(['recovery', 'end-state']);
  });

  it('catches a pair that serves again only after the recovery bound', () => {
    const h = { ...clean, acked: [...clean.acked.slice(0, 2), { id: 'w3', node: 1 as const, tMs: 60_000 }] };
    expect(failed(h)).toEqual(['recovery']);
  });

  it('catches an operator-required state without its page, and accepts it with the page', () => {
    const outdated: FinalNode = {
      ...secondary,
      disk: 'Outdated',
      cstate: 'WFConnection',
      lastReason: 'REFUSE_NOT_UPTODATE',
      pages: [],
    };
    const noPage: ChaosHistory = {
      ...clean,
      acked: clean.acked.slice(0, 1),
      final: [
        { ...outdated, held: ['w1'] },
        { ...outdated, held: ['w1'] },
      ],
    };
    const r = checkHistory(noPage, options);
    expect(r.endState).toMatchObject({ kind: 'operator', state: 'no-uptodate-disk', paged: false });
    expect(failed(noPage)).toEqual(['end-state']);
    const paged: ChaosHistory = {
      ...noPage,
      final: [
        noPage.final[0],
        { ...noPage.final[1], pages: [{ event: 'refused', reason: 'REFUSE_NOT_UPTODATE' }] },
      ],
    };
    expect(checkHistory(paged, options).ok).toBe(true);
  });

  it('a split-brain needs the split-brain page on every frozen node', () => {
    const frozen = (pages: FinalNode['pages']): FinalNode => ({
      ...primary,
      cstate: 'StandAlone',
      frozen: true,
      lastReason: 'FROZEN_SPLIT_BRAIN',
      pages,
    });
    const h: ChaosHistory = {
      ...clean,
      acked: clean.acked.slice(0, 1),
      samples: clean.samples.slice(0, 1),
      final: [frozen([{ event: 'split-brain' }]), { ...frozen([]), role: 'Secondary', mounted: false }],
    };
    expect(checkHistory(h, options).endState).toMatchObject({ kind: 'operator', state: 'split-brain' });
    expect(failed(h)).toEqual(['end-state']);
    const both: ChaosHistory = {
      ...h,
      final: [h.final[0], { ...h.final[1], pages: [{ event: 'split-brain' }] }],
    };
    expect(checkHistory(both, options).ok).toBe(true);
  });

  it('an unreadable final Primary is a failure, not a pass', () => {
    const h: ChaosHistory = { ...clean, final: [secondary, { ...primary, held: null }] };
    expect(failed(h)).toEqual(['acked-writes']);
  });
});
