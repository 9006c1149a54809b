import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import type { Action } from '../../../src/engine/plan.js';
import { RELEASE_SEQUENCE, TAKEOVER_SEQUENCE } from '../../../src/engine/plan.js';
import { createLogger } from '../../../src/common/log.js';
import { runAction, runPlan } from '../../../src/executor/run-plan.js';
import {
  context,
  drive,
  FakeWorld,
  type FakeProcess,
  primaryState,
  resourceConfig,
  secondaryState,
} from './fakes.js';

const takeover: Action[] = TAKEOVER_SEQUENCE.map((kind) => ({ kind, resource: 'r0' }));
const release: Action[] = RELEASE_SEQUENCE.map((kind) => ({ kind, resource: 'r0' }));

function takenOverWorld(): FakeWorld {
  const w = new FakeWorld();
  w.drbd.r0 = primaryState();
  w.mounts.add('/dev/r0@/srv/r0');
  w.activeServices.add('db.service').add('web.service');
  w.addresses.add('10.0.0.50/24@eth0');
  return w;
}

describe('runPlan: takeover', () => {
  it('promotes, checks, mounts, starts services in order and adds the address', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    const results = await runPlan(takeover, context(w));
    expect(results.map((r) => [r.action.kind, r.status])).toEqual(TAKEOVER_SEQUENCE.map((k) => [k, 'ok']));
    expect(w.mutations()).toEqual([
      'drbd primary r0',
      'fsck /dev/r0',
      'mount /dev/r0 /srv/r0 ext4 noatime',
      'start db.service',
      'start web.service',
      'addr add 10.0.0.50/24@eth0',
      'arp 10.0.0.50',
    ]);
    expect(results.every((r) => r.retrySafe && r.errorKind === null)).toBe(true);
  });

  it('is idempotent: a second run over a taken-over node changes nothing', async () => {
    const w = takenOverWorld();
    const results = await runPlan(takeover, context(w));
    expect(results.map((r) => r.status)).toEqual(TAKEOVER_SEQUENCE.map(() => 'ok'));
    expect(w.mutations()).toEqual([]);
    expect(results[0]?.detail).toBe('already Primary');
    expect(results[1]?.detail).toMatch(/already mounted; fsck not run/);
  });

  it('never promotes a disk that is not UpToDate (fresh query) and stops the plan', async () => {
    for (const disk of [
      'Outdated',
      'Inconsistent',
      'Consistent',
      'Diskless',
      'DUnknown',
      'Failed',
    ] as const) {
      const w = new FakeWorld();
      w.drbd.r0 = { ...secondaryState(), disks: [disk] };
      const results = await runPlan(takeover, context(w));
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ status: 'skipped-precondition', retrySafe: true });
      expect(results[0]?.detail).toContain(disk);
      expect(w.mutations()).toEqual([]);
    }
  });

  it('never promotes while DRBD reports the peer Primary', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = { ...secondaryState(), peerRole: 'Primary', cstate: 'Connected', peerDisks: ['UpToDate'] };
    const [r] = await runPlan(takeover, context(w));
    expect(r).toMatchObject({ status: 'skipped-precondition', detail: 'peer is Primary' });
    expect(w.mutations()).toEqual([]);
  });

  it('does not mount where this node is not Primary, and does not start services without the mount', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    const mount = await runAction({ kind: 'mount', resource: 'r0' }, context(w));
    expect(mount).toMatchObject({ status: 'skipped-precondition' });
    const services = await runAction({ kind: 'start-services', resource: 'r0' }, context(w));
    expect(services).toMatchObject({ status: 'skipped-precondition', detail: '/srv/r0 is not mounted' });
    expect(w.mutations()).toEqual([]);
  });

  it('refuses to mount over a conflicting mount', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = primaryState();
    w.mounts.add('/dev/other@/srv/r0');
    const r = await runAction({ kind: 'mount', resource: 'r0' }, context(w));
    expect(r.status).toBe('skipped-precondition');
    expect(w.mutations()).toEqual([]);
  });

  it('stops at the first failure: a failed mount starts no service', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    w.fail.set('mount', {
      status: 'failed',
      errorKind: 'mount-failed',
      retrySafe: true,
      detail: 'wrong fs type',
    });
    const results = await runPlan(takeover, context(w));
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'failed']);
    expect(results[2]).toMatchObject({ errorKind: 'mount-failed', retrySafe: true, detail: 'wrong fs type' });
    expect(w.calls.some((c) => c.startsWith('start '))).toBe(false);
  });

  it('reports a failed service start with the units started before it', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = primaryState();
    w.mounts.add('/dev/r0@/srv/r0');
    w.fail.set('start web', {
      status: 'failed',
      errorKind: 'service-start-failed',
      retrySafe: true,
      detail: 'web failed',
    });
    const r = await runAction({ kind: 'start-services', resource: 'r0' }, context(w));
    expect(r).toMatchObject({ status: 'failed', errorKind: 'service-start-failed' });
    expect(r.detail).toContain('started before it: db.service');
  });

  it('skips fsck where the resource does not ask for it', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = primaryState();
    const res = resourceConfig({ mount: { point: '/srv/r0', fstype: 'xfs', options: [], fsck: false } });
    const r = await runAction({ kind: 'fsck', resource: 'r0' }, context(w, { resources: [res] }));
    expect(r).toMatchObject({ status: 'ok', detail: 'no fsck configured' });
    expect(w.mutations()).toEqual([]);
  });
});

describe('runPlan: release', () => {
  it('removes addresses, stops services in reverse order, unmounts and demotes', async () => {
    const w = takenOverWorld();
    const results = await runPlan(release, context(w));
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(w.mutations()).toEqual([
      'addr del 10.0.0.50/24@eth0',
      'stop web.service',
      'stop db.service',
      'umount /srv/r0',
      'drbd secondary r0',
    ]);
    expect(w.drbd.r0?.role).toBe('Secondary');
  });

  it('is idempotent: releasing a released node changes nothing', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    const results = await runPlan(release, context(w));
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(w.mutations()).toEqual([]);
    expect(results[3]?.detail).toBe('already Secondary');
  });

  it('on-busy-umount kill: SIGTERM, grace period, SIGKILL to survivors, umount again, holders listed', async () => {
    const w = takenOverWorld();
    w.holders = [
      { pid: 4242, command: 'backup', alive: true, onTerm: 'dies' },
      { pid: 4343, command: 'stubborn', alive: true, onTerm: 'ignores' },
    ];
    const clock = new VirtualClock();
    const r = await drive(clock, runAction({ kind: 'umount', resource: 'r0' }, context(w, { clock })));
    expect(r.status).toBe('ok');
    expect(w.signals).toEqual(['SIGTERM 4242', 'SIGTERM 4343', 'SIGKILL 4343']);
    expect(r.holders?.map((h) => h.pid)).toEqual([4242, 4343]);
    expect(r.detail).toContain('4242 backup');
    expect(r.detail).toContain('4343 stubborn');
    expect(r.detail).toContain('SIGKILL to 4343 after 1000 ms');
    // The grace period was waited on the injected clock.
    expect(r.durationMs).toBeGreaterThanOrEqual(1000);
    expect(w.mounts.size).toBe(0);
  });

  it('on-busy-umount kill: a PID that now runs another command is not SIGKILLed', async () => {
    const w = takenOverWorld();
    const stubborn = {
      pid: 4343,
      command: 'stubborn',
      alive: true,
      onTerm: 'ignores' as const,
    } as FakeProcess;
    w.holders = [stubborn];
    const clock = new VirtualClock();
    // During the grace period the holder exits and its PID goes to an unrelated process.
    clock.setTimer(500, () => {
      stubborn.commandNow = 'sshd';
    });
    const r = await drive(clock, runAction({ kind: 'umount', resource: 'r0' }, context(w, { clock })));
    expect(w.signals).toEqual(['SIGTERM 4343']);
    expect(r.detail).toContain('not signalled (PID now runs another command): 4343');
    expect(r.status).toBe('ok');
  });

  it('on-busy-umount kill: holders that end on SIGTERM get no SIGKILL', async () => {
    const w = takenOverWorld();
    w.holders = [{ pid: 5000, command: 'tail', alive: true, onTerm: 'dies' }];
    const clock = new VirtualClock();
    const r = await drive(clock, runAction({ kind: 'umount', resource: 'r0' }, context(w, { clock })));
    expect(r.status).toBe('ok');
    expect(w.signals).toEqual(['SIGTERM 5000']);
    expect(r.detail).not.toContain('SIGKILL');
  });

  it('on-busy-umount refuse: fails as busy, lists the holders, kills nothing, does not demote', async () => {
    const w = takenOverWorld();
    w.holders = [{ pid: 77, command: 'bash', alive: true, onTerm: 'dies' }];
    const ctx = context(w, { resources: [resourceConfig({ onBusyUmount: 'refuse' })] });
    const results = await runPlan(
      [
        { kind: 'umount', resource: 'r0' },
        { kind: 'demote', resource: 'r0' },
      ],
      ctx,
    );
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'failed', errorKind: 'busy', retrySafe: true });
    expect(results[0]?.detail).toContain('77 bash (root, ..c..)');
    expect(results[0]?.holders).toEqual([{ pid: 77, user: 'root', access: '..c..', command: 'bash' }]);
    expect(w.signals).toEqual([]);
    expect(w.drbd.r0?.role).toBe('Primary');
  });

  it('reports a demote DRBD refuses (held open) as failed with its error kind', async () => {
    const w = takenOverWorld();
    const r = await runAction({ kind: 'demote', resource: 'r0' }, context(w));
    expect(r).toMatchObject({ status: 'failed', errorKind: 'held-open', retrySafe: true });
  });
});

describe('runPlan: timeouts, aborts and the rest', () => {
  it('cuts an action off at its timeout on the injected clock and stops the plan', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    w.hang.add('drbd primary');
    const clock = new VirtualClock();
    const results = await drive(clock, runPlan(takeover, context(w, { clock })));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      status: 'timeout',
      errorKind: 'timeout',
      retrySafe: true,
      durationMs: 30_000,
    });
  });

  it('a timed-out fsck is not retry-safe', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = primaryState();
    w.hang.add('fsck');
    const clock = new VirtualClock();
    const r = await drive(clock, runAction({ kind: 'fsck', resource: 'r0' }, context(w, { clock })));
    expect(r).toMatchObject({ status: 'timeout', retrySafe: false, durationMs: 600_000 });
  });

  it('an aborted executor reports the running action as aborted', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    w.hang.add('drbd primary');
    const ac = new AbortController();
    const p = runPlan(takeover, context(w, { signal: ac.signal }));
    await new Promise((r) => setImmediate(r));
    ac.abort();
    const results = await p;
    expect(results).toEqual([
      expect.objectContaining({ status: 'failed', errorKind: 'aborted', retrySafe: true }),
    ]);
  });

  it('a failed notification does not stop the plan', async () => {
    const w = takenOverWorld();
    w.notifyAnswer = { status: 'failed', errorKind: 'hook-failed', retrySafe: true, detail: 'webhook down' };
    const results = await runPlan(
      [{ kind: 'notify', event: 'failover', resource: 'r0', message: 'took over' }, ...release],
      context(w),
    );
    expect(results.map((r) => r.status)).toEqual(['failed', 'ok', 'ok', 'ok', 'ok']);
    expect(w.calls[0]).toBe('notify failover r0 took over');
  });

  it('fence-peer goes to the fence port; a failed fence stops the takeover', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    w.fenceAnswer = {
      status: 'failed',
      handlers: [{ name: 'ipmi', status: 'timeout', exitCode: null, durationMs: 60_000, output: '' }],
      detail: 'no handler fenced bravo',
    };
    const results = await runPlan([{ kind: 'fence-peer', reason: 'peer-lost' }, ...takeover], context(w));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'failed', errorKind: 'fence-failed', retrySafe: true });
    expect(results[0]?.fence?.handlers[0]?.name).toBe('ipmi');
    expect(w.calls).toEqual(['fence peer-lost']);
  });

  it('outdate-peer and request-peer-release go to the peer requester; unreachable is a failure', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = primaryState();
    const ok = await runAction({ kind: 'outdate-peer', resource: 'r0' }, context(w));
    expect(ok.status).toBe('ok');
    w.peerAnswer = { status: 'unreachable', detail: 'no answer on 2 links' };
    const r = await runAction({ kind: 'request-peer-release', resource: 'r0' }, context(w));
    expect(r).toMatchObject({ status: 'failed', errorKind: 'peer-unreachable', retrySafe: true });
    const t = await runAction({ kind: 'request-peer-takeover', resource: 'r0' }, context(w));
    expect(t).toMatchObject({ status: 'failed', errorKind: 'peer-unreachable' });
    expect(w.calls).toEqual(['peer-outdate r0', 'peer-release r0', 'peer-takeover r0']);
  });

  it('outdate-local: refused on a Primary, done once on a Secondary, a no-op when already Outdated', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = primaryState();
    expect((await runAction({ kind: 'outdate-local', resource: 'r0' }, context(w))).status).toBe(
      'skipped-precondition',
    );
    w.drbd.r0 = secondaryState();
    expect((await runAction({ kind: 'outdate-local', resource: 'r0' }, context(w))).status).toBe('ok');
    expect(w.drbd.r0.disks).toEqual(['Outdated']);
    const again = await runAction({ kind: 'outdate-local', resource: 'r0' }, context(w));
    expect(again).toMatchObject({ status: 'ok', detail: 'disk already Outdated' });
    expect(w.mutations()).toEqual(['drbd outdate r0']);
  });

  it('connect only acts on StandAlone', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = { ...secondaryState(), cstate: 'Connected' };
    expect((await runAction({ kind: 'connect', resource: 'r0' }, context(w))).detail).toBe(
      'already Connected',
    );
    w.drbd.r0.cstate = 'StandAlone';
    expect((await runAction({ kind: 'connect', resource: 'r0' }, context(w))).status).toBe('ok');
    expect(w.mutations()).toEqual(['drbd connect r0']);
  });

  it('runs the on-demote-failure handler with the resource in its environment', async () => {
    const w = takenOverWorld();
    const r = await runAction({ kind: 'demote-failure-handler', resource: 'r0' }, context(w));
    expect(r.status).toBe('ok');
    expect(w.handlerRuns[0]?.argv).toEqual(['/usr/local/sbin/self-fence', '--now']);
    expect(w.handlerRuns[0]?.env).toMatchObject({
      SENTINEL_EVENT: 'demote-failed',
      SENTINEL_RESOURCE: 'r0',
      SENTINEL_DEVICE: '/dev/r0',
      SENTINEL_NODE: 'alpha',
      DRBD_RESOURCE: 'r0',
    });
    const none = await runAction(
      { kind: 'demote-failure-handler', resource: 'r0' },
      context(w, { resources: [resourceConfig({ onDemoteFailure: null })] }),
    );
    expect(none.status).toBe('skipped-precondition');
  });

  it('logs one line per action with its facts', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
    }).child({ module: 'executor' });
    const w = takenOverWorld();
    await runPlan(release, { ...context(w), logger });
    expect(lines.map((l) => [l.msg, l.action, l.resource, l.status])).toEqual(
      RELEASE_SEQUENCE.map((k) => ['action done', k, 'r0', 'ok']),
    );
    expect(lines[3]).toMatchObject({ module: 'executor', errorKind: null, retrySafe: true });
  });

  it('an action on an unknown resource fails without touching anything', async () => {
    const w = new FakeWorld();
    const r = await runAction({ kind: 'promote', resource: 'nope' }, context(w));
    expect(r).toMatchObject({ status: 'failed', errorKind: 'unknown-resource', retrySafe: false });
    expect(w.calls).toEqual([]);
  });
});
