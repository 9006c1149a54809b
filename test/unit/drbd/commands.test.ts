import { describe, expect, it } from 'vitest';
import {
  buildDrbdadmArgv,
  buildEvents2Argv,
  drbdadmArgs,
  parseCstateOutput,
  parseDstateOutput,
  parseRoleOutput,
  type DrbdOp,
} from '../../../src/drbd/commands.js';

describe('argv builders', () => {
  it('builds one drbdadm argv per operation, never with force options', () => {
    const ops: DrbdOp[] = [
      { op: 'primary', resource: 'r0' },
      { op: 'secondary', resource: 'r0' },
      { op: 'outdate', resource: 'r0' },
      { op: 'connect', resource: 'r0' },
      { op: 'disconnect', resource: 'r0' },
      { op: 'verify', resource: 'r0' },
      { op: 'adjust', resource: 'r0' },
      { op: 'role', resource: 'r0' },
      { op: 'cstate', resource: 'r0' },
      { op: 'dstate', resource: 'r0' },
    ];
    for (const op of ops) {
      const argv = buildDrbdadmArgv('/usr/sbin/drbdadm', op);
      expect(argv).toEqual(['/usr/sbin/drbdadm', op.op, 'r0']);
      expect(argv?.join(' ')).not.toMatch(/--force|discard-my-data|overwrite-data-of-peer|invalidate/);
    }
    expect(drbdadmArgs({ op: 'dump-xml', resource: null })).toEqual(['dump-xml']);
    expect(buildDrbdadmArgv('drbdadm', { op: 'role', resource: 'r0' }, ['nsenter', '-t', '1', '-a'])).toEqual(
      ['nsenter', '-t', '1', '-a', 'drbdadm', 'role', 'r0'],
    );
  });

  it('refuses resource names that could be read as options or several arguments', () => {
    for (const bad of ['--force', '-r0', 'r0 r1', '', 'a/b', 'r0;reboot']) {
      expect(drbdadmArgs({ op: 'primary', resource: bad }), bad).toBeNull();
    }
  });

  it('builds the events2 argv', () => {
    expect(buildEvents2Argv('/usr/sbin/drbdsetup')).toEqual([
      '/usr/sbin/drbdsetup',
      'events2',
      '--timestamps',
      '--statistics',
      'all',
    ]);
  });
});

describe('query output parsers', () => {
  it('reads role (8.4 ROLE/PEER, 9 ROLE)', () => {
    expect(parseRoleOutput('Primary/Secondary\n')).toEqual({
      ok: true,
      value: { role: 'Primary', peerRole: 'Secondary' },
    });
    expect(parseRoleOutput('Secondary\n')).toEqual({
      ok: true,
      value: { role: 'Secondary', peerRole: null },
    });
    expect(parseRoleOutput('Primary/Nope\n').ok).toBe(false);
    expect(parseRoleOutput('').ok).toBe(false);
  });

  it('reads cstate and normalizes DRBD 9 names', () => {
    expect(parseCstateOutput('WFConnection\n')).toEqual({ ok: true, value: ['WFConnection'] });
    expect(parseCstateOutput('Connecting\n')).toEqual({ ok: true, value: ['WFConnection'] });
    expect(parseCstateOutput('Connected\nStandAlone\n')).toEqual({
      ok: true,
      value: ['Connected', 'StandAlone'],
    });
    expect(parseCstateOutput('SyncSource\n')).toEqual({ ok: true, value: ['SyncSource'] });
    expect(parseCstateOutput('Bogus\n')).toMatchObject({ ok: false, error: { line: 1 } });
  });

  it('reads dstate per volume', () => {
    expect(parseDstateOutput('UpToDate/DUnknown\nOutdated/DUnknown\n')).toEqual({
      ok: true,
      value: [
        { disk: 'UpToDate', peerDisk: 'DUnknown' },
        { disk: 'Outdated', peerDisk: 'DUnknown' },
      ],
    });
    expect(parseDstateOutput('Diskless\n')).toEqual({
      ok: true,
      value: [{ disk: 'Diskless', peerDisk: null }],
    });
    expect(parseDstateOutput('UpToDate/Maybe\n').ok).toBe(false);
  });
});

describe('query parsers are total', () => {
  it('never throw on random output', async () => {
    const fc = (await import('fast-check')).default;
    const words = [
      'Primary',
      'Secondary',
      'Unknown',
      'UpToDate',
      'DUnknown',
      'Connected',
      'Connecting',
      '/',
      '\n',
      ' ',
      'x',
    ];
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }),
        fc.array(fc.constantFrom(...words), { maxLength: 10 }),
        (s, ws) => {
          for (const text of [s, ws.join('')]) {
            expect(typeof parseRoleOutput(text).ok).toBe('boolean');
            expect(typeof parseCstateOutput(text).ok).toBe('boolean');
            expect(typeof parseDstateOutput(text).ok).toBe('boolean');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
