import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvents2Line, parseEvents2Text } from '../../../src/drbd/events2.js';
import { inspectEvents2Text } from '../../../src/drbd/inspect.js';
import { expectedOf, listFixtures, readFixture } from './fixtures.js';

describe('parseEvents2Line', () => {
  it('parses an 8.4 line with timestamp and statistics', () => {
    const line =
      '2026-11-24T17:25:58.206049+00:00 exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:UpToDate resync-suspended:no received:0 sent:262459 out-of-sync:0 pending:0 unacked:0';
    expect(parseEvents2Line(line)).toEqual({
      ok: true,
      value: {
        type: 'object',
        timestamp: '2026-11-24T17:25:58.206049+00:00',
        action: 'exists',
        object: 'peer-device',
        fields: {
          name: 'r0',
          'peer-node-id': '0',
          'conn-name': 'peer',
          volume: '0',
          replication: 'Established',
          'peer-disk': 'UpToDate',
          'resync-suspended': 'no',
          received: '0',
          sent: '262459',
          'out-of-sync': '0',
          pending: '0',
          unacked: '0',
        },
      },
    });
  });

  it('keeps colons inside values (path addresses) and parses helper lines', () => {
    const p = parseEvents2Line(
      'exists path name:r0 peer-node-id:1 conn-name:bravo local:ipv4:10.77.0.1:7789 peer:ipv4:10.77.0.2:7789 established:yes',
    );
    expect(p).toMatchObject({
      ok: true,
      value: { object: 'path', fields: { local: 'ipv4:10.77.0.1:7789' } },
    });
    const h = parseEvents2Line(
      '2026-11-24T17:31:01.635575+00:00 response helper name:r0 peer-node-id:0 conn-name:peer helper:fence-peer status:1792',
    );
    expect(h).toMatchObject({
      ok: true,
      value: { action: 'response', object: 'helper', fields: { status: '1792' } },
    });
  });

  it('recognises the end of the initial dump and lost messages', () => {
    expect(parseEvents2Line('2026-11-24T17:24:24.301960+00:00 exists -')).toEqual({
      ok: true,
      value: { type: 'initial-done', timestamp: '2026-11-24T17:24:24.301960+00:00' },
    });
    expect(parseEvents2Line('exists -')).toEqual({
      ok: true,
      value: { type: 'initial-done', timestamp: null },
    });
    expect(parseEvents2Line('- skipped 12')).toEqual({ ok: true, value: { type: 'skipped', count: 12 } });
  });

  it('refuses what drbdsetup never prints, with the line number', () => {
    for (const bad of [
      '',
      'exists',
      'bogus resource name:r0',
      'exists gizmo name:r0',
      'exists resource role:Primary',
      'exists resource name:r0 role',
      'exists resource name:r0 name:r1',
      'create -',
      '2026-11-24 exists -',
      '- skipped',
      '$ drbdsetup events2 all',
    ]) {
      const r = parseEvents2Line(bad, 7);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error.line).toBe(7);
    }
  });

  it('parses the whole real 8.4.11 stream', () => {
    const r = parseEvents2Text(readFixture('real-8.4.11', 'events2-stream-timestamps-statistics-alpha.log'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.length).toBe(175);
    expect(r.value[0]).toEqual({ type: 'initial-done', timestamp: '2026-11-24T17:24:24.301960+00:00' });
  });
});

describe('events2 samples, folded into the normalized view', () => {
  for (const file of listFixtures('events2')) {
    it(`normalizes ${file}`, () => {
      const text = readFixture('events2', file);
      const r = inspectEvents2Text(text);
      if (!r.ok) throw new Error(r.error);
      expect(r.value).toMatchObject(expectedOf(text, file) as object);
    });
  }
});

describe('real 8.4.11 events2 captures', () => {
  it('reads the --now snapshots (with and without --timestamps/--statistics)', () => {
    const text = readFixture('real-8.4.11', 'events2-now-primary-connected.txt');
    // The capture holds two command outputs, each between a `$ ...` line and `rc=0`.
    const outputs = text
      .split(/^\$ .*$/m)
      .slice(1)
      .map((s) => s.replace(/^rc=\d+$/m, ''));
    expect(outputs).toHaveLength(2);
    for (const out of outputs) {
      const r = inspectEvents2Text(out);
      if (!r.ok) throw new Error(r.error);
      expect(r.value.devices).toEqual([
        {
          minor: 1,
          resource: 'r0',
          volume: 0,
          cstate: 'Connected',
          role: 'Primary',
          peerRole: 'Secondary',
          disk: 'UpToDate',
          peerDisk: 'UpToDate',
          protocol: null,
          ioFlags: null,
          outOfSyncKiB: out.includes('out-of-sync') ? 0 : null,
          syncPercent: null,
          syncEtaSeconds: null,
          suspended: false,
          splitBrain: null,
        },
      ]);
    }
  });

  it('ends the long stream with nothing configured after `drbdadm down`', () => {
    const r = inspectEvents2Text(
      readFixture('real-8.4.11', 'events2-stream-timestamps-statistics-alpha.log'),
    );
    expect(r).toEqual({
      ok: true,
      value: { version: null, source: 'events2', availability: 'not-configured', devices: [] },
    });
  });
});

describe('parseEvents2Line is total', () => {
  const tokens = [
    'exists',
    'change',
    'call',
    'resource',
    'peer-device',
    'helper',
    '-',
    'name:r0',
    'role:Primary',
    'volume:0',
    'minor:1',
    'skipped',
    '2026-11-24T17:24:24.301960+00:00',
    'a:b:c',
    ':',
    'x',
  ];
  it('never throws on random text or shuffled tokens', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(typeof parseEvents2Line(s).ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 8 }), (ts) => {
        expect(typeof parseEvents2Line(ts.join(' ')).ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('inspect never throws on random multi-line input', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens, '\n', '\n'), { maxLength: 40 }), (ts) => {
        expect(typeof inspectEvents2Text(ts.join(' ')).ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });
});
