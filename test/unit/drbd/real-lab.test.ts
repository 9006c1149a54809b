import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandOutcome } from '../../../src/common/exec.js';
import { classifyDrbdFailure } from '../../../src/drbd/classify.js';
import { parseCstateOutput, parseDstateOutput, parseRoleOutput } from '../../../src/drbd/commands.js';
import { parseEvents2Text } from '../../../src/drbd/events2.js';
import { inspectEvents2Text, inspectProcDrbdText } from '../../../src/drbd/inspect.js';
import { INITIAL_DRBD_STATE, reduceDrbdAll } from '../../../src/drbd/reducer.js';
import { FIXTURES, parseCapture } from './fixtures.js';

// Captures of the project's own real-DRBD lab (DRBD 8.4.11 in QEMU VMs), written by the lab tier.
const REAL = join(FIXTURES, '../real');

function files(prefix: string, suffix: string): string[] {
  if (!existsSync(REAL))
    throw new Error(`missing ${REAL}: the lab's real captures are part of the repository`);
  return readdirSync(REAL)
    .filter((f) => f.startsWith(prefix) && f.endsWith(suffix))
    .sort();
}

const read = (f: string) => readFileSync(join(REAL, f), 'utf8');

function outcome(text: string): CommandOutcome {
  const c = parseCapture(text);
  return c.rc === 0
    ? { status: 'ok', exitCode: 0, stdout: c.stdout, stderr: c.stderr, durationMs: 0 }
    : { status: 'failed', exitCode: c.rc, signal: null, stdout: c.stdout, stderr: c.stderr, durationMs: 0 };
}

describe('real lab captures (test/fixtures/real)', () => {
  it('has captures to test', () => {
    expect(files('proc-', '.txt').length).toBeGreaterThan(10);
    expect(files('events2-', '.log').length).toBeGreaterThan(5);
  });

  it('parses every /proc/drbd capture, and its header names the state it shows', () => {
    for (const f of files('proc-', '.txt')) {
      const r = inspectProcDrbdText(read(f));
      if (!r.ok) throw new Error(`${f}: ${r.error}`);
      expect(r.value.version, f).toBe('8.4.11');
      const d = r.value.devices.find((x) => x.minor === 1);
      if (f.includes('unconfigured')) expect(d, f).toBeUndefined();
      if (f.includes('wfconnection')) expect(d?.cstate, f).toBe('WFConnection');
      if (f.includes('standalone')) expect(d?.cstate, f).toBe('StandAlone');
      if (f.includes('diskless')) expect([d?.disk, d?.peerDisk], f).toContain('Diskless');
      if (f.includes('outdated-wfconnection-bravo')) expect(d?.disk, f).toBe('Outdated');
      if (
        f.includes('-progress-') ||
        f.includes('verify-running') ||
        f.includes('rejoin-after') ||
        f.startsWith('proc-resync-')
      ) {
        expect(d?.syncPercent, f).not.toBeNull();
        expect(d?.syncEtaSeconds, f).not.toBeNull();
      } else if (d) expect(d.syncPercent, f).toBeNull();
    }
  });

  it('folds every events2 stream and sees split-brain come and go', () => {
    for (const f of files('events2-', '.log')) {
      const r = inspectEvents2Text(read(f));
      if (!r.ok) throw new Error(`${f}: ${r.error}`);
      expect(r.value.source, f).toBe('events2');
    }
    for (const f of files('events2-split-brain-', '.log')) {
      const p = parseEvents2Text(read(f));
      if (!p.ok) throw new Error(`${f}: ${p.error.message}`);
      const r = reduceDrbdAll(
        INITIAL_DRBD_STATE,
        p.value.map((event) => ({ type: 'events2' as const, event })),
      );
      const sb = r.changes.filter((c) => c.kind === 'device-changed' && c.field === 'splitBrain');
      expect(sb, f).toEqual([
        expect.objectContaining({ to: expect.objectContaining({ kind: 'helper' }) }),
        expect.objectContaining({ to: null }),
      ]);
    }
  });

  it('classifies every refusal the lab captured', () => {
    const expected: Record<string, string> = {
      'refuse-attach-failed-disk.txt': 'backing-disk-error',
      'refuse-disconnect-blocking-link-cut.txt': 'timeout',
      'refuse-outdate-primary.txt': 'need-uptodate',
      'refuse-primary-inconsistent.txt': 'need-uptodate',
      'refuse-primary-outdated.txt': 'need-uptodate',
      'refuse-primary-peer-is-primary.txt': 'multiple-primaries',
      'refuse-primary-sync-target.txt': 'multiple-primaries',
      'refuse-secondary-while-mounted.txt': 'held-open',
    };
    for (const f of files('refuse-', '.txt')) {
      const kind = classifyDrbdFailure(outcome(read(f)))?.kind;
      expect(kind, f).not.toBe('unknown');
      if (expected[f] !== undefined) expect(kind, f).toBe(expected[f]);
    }
  });

  it('parses the captured role/cstate/dstate answers', () => {
    for (const f of files('cmd-', '.txt')) {
      const c = parseCapture(read(f));
      if (f.startsWith('cmd-role-')) expect(parseRoleOutput(c.stdout), f).toMatchObject({ ok: true });
      if (f.startsWith('cmd-cstate-')) expect(parseCstateOutput(c.stdout), f).toMatchObject({ ok: true });
      if (f.startsWith('cmd-dstate-')) expect(parseDstateOutput(c.stdout), f).toMatchObject({ ok: true });
    }
  });
});
