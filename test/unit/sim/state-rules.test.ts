import { describe, expect, it } from 'vitest';
import { derivedFlags, sanitizeDiskStates } from '../../../src/sim/state-rules.js';

describe("sanitizeDiskStates: DRBD 8.4's implicit disk states per connection state", () => {
  const cases = [
    // [cstate, disk, peerDisk] -> [cstate, disk, peerDisk]
    [
      ['SyncSource', 'Consistent', 'Consistent'],
      ['SyncSource', 'UpToDate', 'Inconsistent'],
    ],
    [
      ['WFBitMapS', 'Consistent', 'UpToDate'],
      ['WFBitMapS', 'UpToDate', 'Consistent'],
    ],
    [
      ['WFBitMapS', 'UpToDate', 'Inconsistent'],
      ['WFBitMapS', 'UpToDate', 'Inconsistent'],
    ],
    [
      ['WFBitMapT', 'UpToDate', 'Consistent'],
      ['WFBitMapT', 'Outdated', 'UpToDate'],
    ],
    [
      ['SyncTarget', 'Outdated', 'Consistent'],
      ['SyncTarget', 'Inconsistent', 'UpToDate'],
    ],
    [
      ['Connected', 'Consistent', 'UpToDate'],
      ['Connected', 'UpToDate', 'UpToDate'],
    ],
    [
      ['Connected', 'Outdated', 'Consistent'],
      ['Connected', 'UpToDate', 'UpToDate'],
    ],
    [
      ['Connected', 'Inconsistent', 'Inconsistent'],
      ['Connected', 'Inconsistent', 'Inconsistent'],
    ],
    [
      ['Connected', 'UpToDate', 'Diskless'],
      ['Connected', 'UpToDate', 'Diskless'],
    ],
    [
      ['VerifyS', 'UpToDate', 'UpToDate'],
      ['VerifyS', 'UpToDate', 'UpToDate'],
    ],
    // Without a connection: only Inconsistent, Outdated or DUnknown are known of the peer.
    [
      ['WFConnection', 'Consistent', 'UpToDate'],
      ['WFConnection', 'Consistent', 'DUnknown'],
    ],
    [
      ['WFConnection', 'UpToDate', 'Inconsistent'],
      ['WFConnection', 'UpToDate', 'Inconsistent'],
    ],
    [
      ['NetworkFailure', 'UpToDate', 'Outdated'],
      ['NetworkFailure', 'UpToDate', 'Outdated'],
    ],
    [
      ['WFReportParams', 'Outdated', 'Diskless'],
      ['WFReportParams', 'Outdated', 'DUnknown'],
    ],
    // A failed or detached disk ends a resync.
    [
      ['SyncSource', 'Failed', 'Inconsistent'],
      ['Connected', 'Failed', 'Inconsistent'],
    ],
    [
      ['SyncTarget', 'Inconsistent', 'Diskless'],
      ['Connected', 'Inconsistent', 'Diskless'],
    ],
    // An attaching disk is negotiated first, never raised.
    [
      ['Connected', 'Negotiating', 'UpToDate'],
      ['Connected', 'Negotiating', 'UpToDate'],
    ],
  ] as const;
  for (const [[cstate, disk, peerDisk], [c2, d2, p2]] of cases)
    it(`${cstate} ${disk}/${peerDisk} -> ${c2} ${d2}/${p2}`, () => {
      expect(sanitizeDiskStates({ cstate, disk, peerDisk })).toEqual({ cstate: c2, disk: d2, peerDisk: p2 });
    });
});

describe('derivedFlags: the metadata flags DRBD writes after a state change', () => {
  it('follow the disk states while a disk is attached', () => {
    expect(derivedFlags('UpToDate', 'DUnknown')).toEqual({
      consistent: true,
      outdated: false,
      peerOutdated: false,
    });
    expect(derivedFlags('Outdated', 'UpToDate')).toEqual({
      consistent: true,
      outdated: true,
      peerOutdated: false,
    });
    expect(derivedFlags('UpToDate', 'Inconsistent')?.peerOutdated).toBe(true);
    expect(derivedFlags('UpToDate', 'Outdated')?.peerOutdated).toBe(true);
    expect(derivedFlags('Inconsistent', 'UpToDate')?.consistent).toBe(false);
  });

  it('stay as they are without an attached disk', () => {
    expect(derivedFlags('Diskless', 'UpToDate')).toBeNull();
    expect(derivedFlags('Failed', 'UpToDate')).toBeNull();
  });
});
