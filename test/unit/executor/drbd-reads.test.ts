/**
 * How many DRBD status reads each step costs (issue 14.3): with the daemon's view, a takeover reads
 * DRBD once (promote's safety check) instead of three queries per step; without a view one read per
 * check; and the port's fresh read is one `drbdsetup events2 --now` process, not three drbdadm runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandOutcome } from '../../../src/common/exec.js';
import type { DrbdView } from '../../../src/drbd/view.js';
import type { Action } from '../../../src/engine/plan.js';
import { RELEASE_SEQUENCE, TAKEOVER_SEQUENCE } from '../../../src/engine/plan.js';
import { createCommandDrbdPort } from '../../../src/executor/drbd-port.js';
import { runAction, runPlan } from '../../../src/executor/run-plan.js';
import { context, FakeWorld, primaryState, secondaryState } from './fakes.js';

const takeover: Action[] = TAKEOVER_SEQUENCE.map((kind) => ({ kind, resource: 'r0' }));
const release: Action[] = RELEASE_SEQUENCE.map((kind) => ({ kind, resource: 'r0' }));

/** A view of the fake world's DRBD as events2 would show it; `lag` freezes it (lines not read yet). */
function viewOf(w: FakeWorld, lag = false): () => DrbdView {
  const frozen = lag ? snapshot(w) : null;
  return () => frozen ?? snapshot(w);
}
function snapshot(w: FakeWorld): DrbdView {
  return {
    version: '8.4.11',
    source: 'events2',
    availability: 'ok',
    devices: Object.entries(w.drbd).flatMap(([resource, s]) =>
      s.disks.map((disk, volume) => ({
        minor: volume,
        resource,
        volume,
        cstate: s.cstate,
        role: s.role,
        peerRole: s.peerRole,
        disk,
        peerDisk: s.peerDisks[volume] ?? 'DUnknown',
        protocol: 'C' as const,
        ioFlags: null,
        outOfSyncKiB: null,
        syncPercent: null,
        syncEtaSeconds: null,
        suspended: false,
        splitBrain: null,
      })),
    ),
  };
}
const statusReads = (w: FakeWorld) => w.calls.filter((c) => c.startsWith('drbd status')).length;
const drbdRuns = (w: FakeWorld) => w.calls.filter((c) => c.startsWith('drbd ')).length;

describe('DRBD reads per step', () => {
  it('takeover with the view: one fresh read (promote) and the primary command, nothing else of DRBD', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    // The view lags: it still shows Secondary after the promote; the command's exit status counts.
    const results = await runPlan(takeover, { ...context(w), drbdView: viewOf(w, true) });
    expect(results.map((r) => r.status)).toEqual(TAKEOVER_SEQUENCE.map(() => 'ok'));
    expect(w.calls.filter((c) => c.startsWith('drbd '))).toEqual(['drbd status r0', 'drbd primary r0']);
  });

  it('takeover without a view: one read per DRBD check (promote, fsck, mount, addresses), not three', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    await runPlan(takeover, context(w));
    // promote reads; fsck, mount and the addresses know Primary from promote's own result.
    expect(statusReads(w)).toBe(1);
    const alone = new FakeWorld();
    alone.drbd.r0 = primaryState();
    for (const kind of ['fsck', 'mount', 'add-addresses'] as const) {
      const before = statusReads(alone);
      expect((await runAction({ kind, resource: 'r0' }, context(alone))).status).toBe('ok');
      expect(statusReads(alone) - before).toBe(1);
    }
  });

  it('a taken-over node with the view: the takeover runs no DRBD process at all', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = primaryState();
    w.mounts.add('/dev/r0@/srv/r0');
    const results = await runPlan(takeover, { ...context(w), drbdView: viewOf(w) });
    expect(results[0]?.detail).toBe('already Primary');
    expect(drbdRuns(w)).toBe(0);
  });

  it('a view that has not read a promotion yet: mount confirms on one fresh read instead of skipping', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    const lagging = viewOf(w, true);
    w.drbd.r0.role = 'Primary';
    const r = await runAction({ kind: 'mount', resource: 'r0' }, { ...context(w), drbdView: lagging });
    expect(r.status).toBe('ok');
    expect(statusReads(w)).toBe(1);
  });

  it('promote never trusts the view for its safety checks (SAFETY rules 1, 2)', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    const stale = viewOf(w, true); // shows UpToDate
    w.drbd.r0.disks = ['Outdated'];
    const r = await runAction({ kind: 'promote', resource: 'r0' }, { ...context(w), drbdView: stale });
    expect(r.status).toBe('skipped-precondition');
    expect(w.mutations()).toEqual([]);
    expect(statusReads(w)).toBe(1);
  });

  it('release with the view: demote of a Primary is the command alone; a Secondary in the view is confirmed', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = primaryState();
    await runPlan(release, { ...context(w), drbdView: viewOf(w) });
    expect(w.calls.filter((c) => c.startsWith('drbd '))).toEqual(['drbd secondary r0']);

    // The view says Secondary but has not read a promotion: the fresh read finds Primary and demotes.
    const lag = new FakeWorld();
    lag.drbd.r0 = secondaryState();
    const stale = viewOf(lag, true);
    lag.drbd.r0.role = 'Primary';
    const r = await runAction({ kind: 'demote', resource: 'r0' }, { ...context(lag), drbdView: stale });
    expect(r.status).toBe('ok');
    expect(lag.calls.filter((c) => c.startsWith('drbd '))).toEqual(['drbd status r0', 'drbd secondary r0']);
  });

  it('outdate-local and connect decide from the view; only a StandAlone is confirmed before connect', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = { ...secondaryState(), cstate: 'WFConnection' };
    const view = viewOf(w);
    expect(
      (await runAction({ kind: 'connect', resource: 'r0' }, { ...context(w), drbdView: view })).detail,
    ).toBe('already WFConnection');
    expect(drbdRuns(w)).toBe(0);
    await runAction({ kind: 'outdate-local', resource: 'r0' }, { ...context(w), drbdView: view });
    expect(w.calls).toEqual(['drbd outdate r0']);

    w.drbd.r0.cstate = 'StandAlone';
    await runAction({ kind: 'connect', resource: 'r0' }, { ...context(w), drbdView: view });
    expect(w.calls.slice(1)).toEqual(['drbd status r0', 'drbd connect r0']);
  });
});

/** The drbdsetup-84 `events2 --now all` output of the 8.4.11 fixture (alpha, Primary, Connected). */
function fixtureNow(): string {
  const text = readFileSync(
    join(__dirname, '../../../../shared/fixtures/drbd-8.4.11/events2-now-primary-connected.txt'),
    'utf8',
  );
  const block = text.split('$ ')[1] ?? '';
  return block
    .split('\n')
    .slice(1)
    .filter((l) => l.startsWith('exists'))
    .map((l) => `${l}\n`)
    .join('');
}

describe('the port: a fresh read is one process', () => {
  it('status runs one `drbdsetup events2 --now all` and reads role, disks and connection from it', async () => {
    const runs: string[][] = [];
    const port = createCommandDrbdPort({
      drbdadm: '/sbin/drbdadm',
      drbdsetup: '/sbin/drbdsetup',
      run: async (argv): Promise<CommandOutcome> => {
        runs.push([...argv]);
        return { status: 'ok', exitCode: 0, stdout: fixtureNow(), stderr: '', durationMs: 1 };
      },
    });
    const st = await port.status('r0', { timeoutMs: 1_000 });
    expect(runs).toEqual([['/sbin/drbdsetup', 'events2', '--now', 'all']]);
    expect(st).toEqual({
      ok: true,
      value: {
        role: 'Primary',
        peerRole: 'Secondary',
        disks: ['UpToDate'],
        peerDisks: ['UpToDate'],
        cstate: 'Connected',
      },
    });
    const missing = await port.status('r9', { timeoutMs: 1_000 });
    expect(missing).toMatchObject({ ok: false, error: { errorKind: 'no-resource' } });
  });

  it('a failing drbdsetup is a query failure, with its message', async () => {
    const port = createCommandDrbdPort({
      drbdadm: 'drbdadm',
      drbdsetup: 'drbdsetup',
      run: async (): Promise<CommandOutcome> => ({
        status: 'failed',
        exitCode: 20,
        signal: null,
        stdout: '',
        stderr: "Could not connect to 'drbd' generic netlink family",
        durationMs: 1,
      }),
    });
    const st = await port.status('r0', { timeoutMs: 1_000 });
    expect(st).toMatchObject({ ok: false, error: { timedOut: false } });
    expect(st.ok ? '' : st.error.detail).toContain('generic netlink family');
  });
});
