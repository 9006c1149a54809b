import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectProcDrbdText } from '../../../src/drbd/inspect.js';
import { parseProcDrbd } from '../../../src/drbd/proc-drbd.js';
import { expectedOf, listFixtures, readFixture } from './fixtures.js';

describe('parseProcDrbd on the project samples', () => {
  for (const file of listFixtures('proc')) {
    it(`normalizes ${file}`, () => {
      const text = readFixture('proc', file);
      const r = inspectProcDrbdText(text);
      if (!r.ok) throw new Error(r.error);
      expect(r.value).toMatchObject(expectedOf(text, file) as object);
    });
  }
});

describe('parseProcDrbd on real 8.4.11 captures', () => {
  const real = (f: string) => {
    const r = inspectProcDrbdText(readFixture('real-8.4.11', f));
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };

  it('reads a Connected Primary', () => {
    expect(real('proc-primary-secondary-connected-alpha.txt')).toEqual({
      version: '8.4.11',
      source: 'proc',
      availability: 'ok',
      devices: [
        {
          minor: 1,
          resource: null,
          volume: null,
          cstate: 'Connected',
          role: 'Primary',
          peerRole: 'Secondary',
          disk: 'UpToDate',
          peerDisk: 'UpToDate',
          protocol: 'C',
          ioFlags: 'r-----',
          outOfSyncKiB: 0,
          syncPercent: null,
          syncEtaSeconds: null,
          suspended: false,
          splitBrain: null,
        },
      ],
    });
  });

  it('reads resync progress with its tab-indented lines', () => {
    expect(real('proc-initial-sync-syncsource-2-alpha.txt').devices[0]).toMatchObject({
      cstate: 'SyncSource',
      disk: 'UpToDate',
      peerDisk: 'Inconsistent',
      outOfSyncKiB: 245876,
      syncPercent: 6.3,
      syncEtaSeconds: 119,
    });
  });

  it('reads a Diskless Primary, an Outdated Secondary and suspended I/O', () => {
    expect(real('proc-diskless-primary-alpha.txt').devices[0]).toMatchObject({
      cstate: 'Connected',
      role: 'Primary',
      disk: 'Diskless',
      peerDisk: 'UpToDate',
    });
    expect(real('proc-secondary-outdated-wfconnection-bravo.txt').devices[0]).toMatchObject({
      cstate: 'WFConnection',
      role: 'Secondary',
      peerRole: 'Unknown',
      disk: 'Outdated',
      peerDisk: 'DUnknown',
    });
    expect(real('proc-io-suspended-fencing-primary-alpha.txt').devices[0]).toMatchObject({
      cstate: 'WFConnection',
      ioFlags: 's-----',
      suspended: true,
    });
  });

  it('reads StandAlone after split-brain with no protocol letter', () => {
    expect(real('proc-standalone-split-brain-alpha.txt').devices[0]).toMatchObject({
      cstate: 'StandAlone',
      role: 'Primary',
      protocol: null,
      ioFlags: 'r-----',
      outOfSyncKiB: 44,
    });
  });
});

describe('parseProcDrbd details', () => {
  it('keeps the raw snapshot: version parts, srcversion, counters, progress', () => {
    const r = parseProcDrbd(readFixture('real-8.4.11', 'proc-initial-sync-syncsource-2-alpha.txt'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.version).toEqual({
      release: '8.4.11',
      major: 8,
      minor: 4,
      api: 1,
      protoMin: 86,
      protoMax: 101,
    });
    expect(r.value.srcversion).toBe('F73C670A7EC572DB9CF3E5B');
    const d = r.value.devices[0];
    expect(d?.counters).toMatchObject({ ns: 16224, dr: 16224, al: 8, wo: 'f', oos: 245876 });
    expect(d?.progress).toEqual({
      kind: 'resync',
      percent: 6.3,
      leftKiB: 245876,
      totalKiB: 262100,
      etaSeconds: 119,
      speedKiBps: 2028,
      stalled: false,
    });
  });

  it('converts M brackets to KiB and flags stalled and verify progress', () => {
    const big = parseProcDrbd(readFixture('proc', 'proc-84-syncsource-large-M.txt'));
    const stalled = parseProcDrbd(readFixture('proc', 'proc-84-synctarget-stalled.txt'));
    const verify = parseProcDrbd(readFixture('proc', 'proc-84-verifys.txt'));
    if (!big.ok || !stalled.ok || !verify.ok) throw new Error('fixture did not parse');
    expect(big.value.devices[0]?.progress).toMatchObject({ leftKiB: 188416 * 1024, totalKiB: 204800 * 1024 });
    expect(stalled.value.devices[0]?.progress).toMatchObject({ stalled: true, speedKiBps: 0 });
    expect(verify.value.devices[0]?.progress).toMatchObject({ kind: 'verify', percent: 52.1 });
  });

  it('reads DRBD 9 (version and transports only)', () => {
    const r = parseProcDrbd(readFixture('proc', 'proc-9-version-only.txt'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.version?.major).toBe(9);
    expect(r.value.transports).toBe('Transports (api:21): tcp (9.2.12)');
    expect(r.value.devices).toEqual([]);
  });

  it('names the line it cannot parse', () => {
    const text =
      'version: 8.4.11 (api:1/proto:86-101)\n\n 1: cs:Connected ro:Primary/Secondary ds:UpToDate/Bogus C r-----\n';
    expect(parseProcDrbd(text)).toEqual({
      ok: false,
      error: {
        line: 3,
        text: ' 1: cs:Connected ro:Primary/Secondary ds:UpToDate/Bogus C r-----',
        message: 'unknown disk state',
      },
    });
    const r = parseProcDrbd('hello world\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.line).toBe(1);
  });

  it('refuses a minor listed twice and a finish line without progress', () => {
    const v = 'version: 8.4.11 (api:1/proto:86-101)\n';
    const dup = `${v} 1: cs:Unconfigured\n 1: cs:Unconfigured\n`;
    const fin = `${v} 1: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n\tfinish: 0:00:01 speed: 1 (1) K/sec\n`;
    expect(parseProcDrbd(dup)).toMatchObject({ ok: false, error: { line: 3 } });
    expect(parseProcDrbd(fin)).toMatchObject({ ok: false, error: { line: 3 } });
  });
});

describe('parseProcDrbd is total', () => {
  const pieces = [
    'version: 8.4.11 (api:1/proto:86-101)\n',
    ' 1: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n',
    '    ns:1 nr:2 dw:3 dr:4 al:5 bm:6 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:7\n',
    "\t[=>..................] sync'ed: 10.0% (9/10)K\n",
    '\tfinish: 0:00:01 speed: 1,000 (1,000) K/sec\n',
    ' 2: cs:Unconfigured\n',
    'GIT-hash: abc build by x, 2020\n',
    '\n',
  ];

  it('never throws on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const r = parseProcDrbd(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on shuffled and mutated real lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...pieces), { maxLength: 12 }),
        fc.nat(500),
        fc.string({ maxLength: 5 }),
        (parts, at, junk) => {
          const s = parts.join('');
          const mutated = s.slice(0, at) + junk + s.slice(at);
          const r = parseProcDrbd(mutated);
          if (!r.ok) expect(r.error.line).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
