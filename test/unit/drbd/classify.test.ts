import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandOutcome } from '../../../src/common/exec.js';
import { classifyDrbdFailure, DRBD_FAILURE_KINDS } from '../../../src/drbd/classify.js';
import { headerValue, listFixtures, parseCapture, readFixture } from './fixtures.js';

function failed(stderr: string, exitCode: number, stdout = ''): CommandOutcome {
  return { status: 'failed', exitCode, signal: null, stdout, stderr, durationMs: 1 };
}

describe('classifyDrbdFailure on real 8.4.11 refusals', () => {
  const cases: [string, string, boolean, number | null][] = [
    ['refuse-primary-outdated.txt', 'need-uptodate', false, -2],
    ['refuse-secondary-while-mounted.txt', 'held-open', false, -12],
    ['refuse-primary-peer-is-primary-connected.txt', 'multiple-primaries', false, -1],
    ['refuse-disconnect-blocking-link-cut.txt', 'timeout', true, null],
  ];
  for (const [file, kind, retrySafe, code] of cases) {
    it(`${file} -> ${kind}`, () => {
      const c = parseCapture(readFixture('real-8.4.11', file));
      const f = classifyDrbdFailure(failed(c.stderr, c.rc, c.stdout));
      expect(f).toMatchObject({ kind, retrySafe, drbdCode: code, exitCode: c.rc });
    });
  }

  it('quotes DRBD own line as the message', () => {
    const c = parseCapture(readFixture('real-8.4.11', 'refuse-secondary-while-mounted.txt'));
    expect(classifyDrbdFailure(failed(c.stderr, c.rc))?.message).toBe(
      '1: State change failed: (-12) Device is held open by someone',
    );
    const d = parseCapture(readFixture('real-8.4.11', 'refuse-disconnect-blocking-link-cut.txt'));
    expect(classifyDrbdFailure(failed(d.stderr, d.rc))?.message).toBe(
      "Command 'drbdsetup-84 disconnect ipv4:10.77.0.1:7788 ipv4:10.77.0.2:7788' did not terminate within 5 seconds",
    );
  });
});

describe('classifyDrbdFailure on the command samples', () => {
  const files = listFixtures('commands');
  it('has a sample for every failure kind DRBD can print', () => {
    const kinds = new Set(files.map((f) => headerValue(readFixture('commands', f), 'expect-kind')));
    for (const k of DRBD_FAILURE_KINDS) {
      if (['aborted', 'spawn-error', 'state-refused'].includes(k)) continue; // not printed by DRBD
      expect(kinds.has(k), k).toBe(true);
    }
  });
  for (const file of files) {
    it(`classifies ${file}`, () => {
      const text = readFixture('commands', file);
      const c = parseCapture(text);
      const f = classifyDrbdFailure(failed(c.stderr, c.rc, c.stdout));
      expect(f?.kind).toBe(headerValue(text, 'expect-kind'));
      expect(String(f?.retrySafe)).toBe(headerValue(text, 'expect-retry-safe'));
    });
  }
});

describe('classifyDrbdFailure on runner outcomes', () => {
  it('maps success to null and runner statuses to kinds', () => {
    expect(
      classifyDrbdFailure({ status: 'ok', exitCode: 0, stdout: '', stderr: '', durationMs: 1 }),
    ).toBeNull();
    expect(classifyDrbdFailure({ status: 'timeout', stdout: '', stderr: '', durationMs: 1 })).toMatchObject({
      kind: 'timeout',
      retrySafe: true,
    });
    expect(classifyDrbdFailure({ status: 'aborted', stdout: '', stderr: '', durationMs: 1 })).toMatchObject({
      kind: 'aborted',
      retrySafe: false,
    });
    expect(
      classifyDrbdFailure({
        status: 'spawn-error',
        message: 'spawn /usr/sbin/drbdadm ENOENT',
        durationMs: 1,
      }),
    ).toMatchObject({ kind: 'spawn-error', message: 'spawn /usr/sbin/drbdadm ENOENT' });
  });

  it('keeps an unknown SS_ code as state-refused with its code', () => {
    expect(
      classifyDrbdFailure(failed('1: State change failed: (-16) Disk state is lower than outdated\n', 5)),
    ).toMatchObject({ kind: 'state-refused', drbdCode: -16 });
  });

  it('is total on arbitrary output', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 0, max: 255 }), (s, rc) => {
        const f = classifyDrbdFailure(failed(s, rc));
        expect(DRBD_FAILURE_KINDS).toContain(f?.kind);
      }),
      { numRuns: 2000 },
    );
  });
});
