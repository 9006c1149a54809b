import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DrbdEventSource, type DrbdEventSourceOptions } from '../../../src/drbd/event-source.js';
import type { DrbdChange } from '../../../src/drbd/view.js';
import { makeFakeDrbd, type FakeDrbd } from './fake-tools.js';
import { readFixture, withoutHeader } from './fixtures.js';

// Real child processes on real timers: the waits below wait for a condition, they assert no timing.
const WAIT = { timeout: 8000, interval: 20 };
const PROC_84 = 'version: 8.4.11 (api:1/proto:86-101)\nsrcversion: F73C670A7EC572DB9CF3E5B \n';
const DUMP = (role: string) =>
  [
    `exists resource name:r0 role:${role} suspended:no write-ordering:flush`,
    'exists connection name:r0 peer-node-id:0 conn-name:peer connection:Connected role:Secondary congested:no',
    'exists device name:r0 volume:0 minor:1 disk:UpToDate',
    'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:UpToDate resync-suspended:no',
    'exists -',
  ].join('\n');

let fake: FakeDrbd;
let source: DrbdEventSource | null = null;
let changes: DrbdChange[] = [];

function start(opts: Partial<DrbdEventSourceOptions> & { drbdsetup: string }): DrbdEventSource {
  source = new DrbdEventSource({
    procPath: fake.procPath,
    pollIntervalMs: 50,
    progressIntervalMs: 50,
    restartBackoff: { initialMs: 20, maxMs: 100 },
    ...opts,
  });
  source.subscribe((_v, c) => changes.push(...c));
  source.start();
  return source;
}

beforeEach(() => {
  fake = makeFakeDrbd();
  changes = [];
});

afterEach(async () => {
  await source?.stop();
  source = null;
  fake.cleanup();
});

describe('DrbdEventSource over events2', () => {
  it('runs `drbdsetup events2 --timestamps --statistics all` and follows its changes', async () => {
    fake.writeProc(PROC_84);
    const args = join(fake.dir, 'args');
    const drbdsetup = fake.script(
      'drbdsetup',
      `echo "$@" > "${args}"
cat <<'X'
${DUMP('Secondary')}
X
sleep 0.2
echo 'change resource name:r0 role:Primary'
exec sleep 30`,
    );
    const s = start({ drbdsetup });
    await vi.waitFor(() => expect(s.view.devices[0]?.role).toBe('Primary'), WAIT);
    expect(s.view).toMatchObject({ version: '8.4.11', source: 'events2', availability: 'ok' });
    expect(s.view.devices[0]).toMatchObject({ resource: 'r0', cstate: 'Connected', protocol: null });
    expect(changes).toContainEqual({
      kind: 'device-changed',
      minor: 1,
      resource: 'r0',
      field: 'role',
      from: 'Secondary',
      to: 'Primary',
    });
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(args, 'utf8')).toBe('events2 --timestamps --statistics all\n');
  });

  it('restarts a dead child with backoff and drops its stale picture', async () => {
    fake.writeProc(PROC_84);
    const runs = join(fake.dir, 'runs');
    const drbdsetup = fake.script(
      'drbdsetup',
      `echo x >> "${runs}"
n=$(wc -l < "${runs}")
if [ "$n" -eq 1 ]; then
cat <<'X'
${DUMP('Primary')}
X
exit 1
fi
cat <<'X'
${DUMP('Secondary')}
X
exec sleep 30`,
    );
    const s = start({ drbdsetup });
    await vi.waitFor(() => expect(s.view.devices[0]?.role).toBe('Secondary'), WAIT);
    const kinds = changes.map((c) => (c.kind === 'availability' ? `availability:${c.to}` : c.kind));
    // first dump, death (picture dropped: unknown, device removed), second dump
    expect(kinds).toEqual(
      expect.arrayContaining(['availability:ok', 'availability:unknown', 'device-removed', 'device-added']),
    );
    expect(kinds.indexOf('availability:unknown')).toBeLessThan(kinds.lastIndexOf('availability:ok'));
  });

  it('restarts on "- skipped N"', async () => {
    fake.writeProc(PROC_84);
    const runs = join(fake.dir, 'runs');
    const drbdsetup = fake.script(
      'drbdsetup',
      `echo x >> "${runs}"
n=$(wc -l < "${runs}")
cat <<'X'
${DUMP('Secondary')}
X
if [ "$n" -eq 1 ]; then echo '- skipped 5'; fi
exec sleep 30`,
    );
    const s = start({ drbdsetup });
    await vi.waitFor(async () => {
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(runs, 'utf8')).toBe('x\nx\n');
      expect(s.view.availability).toBe('ok');
    }, WAIT);
  });

  it('adds 8.4 resync progress from /proc/drbd while a resync runs', async () => {
    fake.writeProc(withoutHeader(readFixture('real-8.4.11', 'proc-initial-sync-syncsource-2-alpha.txt')));
    const drbdsetup = fake.script(
      'drbdsetup',
      `cat <<'X'
exists resource name:r0 role:Primary suspended:no
exists connection name:r0 peer-node-id:0 conn-name:peer connection:Connected role:Secondary
exists device name:r0 volume:0 minor:1 disk:UpToDate
exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:SyncSource peer-disk:Inconsistent out-of-sync:245876
exists -
X
exec sleep 30`,
    );
    const s = start({ drbdsetup });
    await vi.waitFor(() => expect(s.view.devices[0]?.syncPercent).toBe(6.3), WAIT);
    expect(s.view.devices[0]).toMatchObject({ syncEtaSeconds: 119, protocol: 'C', ioFlags: 'r-----' });
  });

  it('re-reads /proc/drbd on 8.4 when the state moves (protocol, I/O flags)', async () => {
    const { writeFileSync } = await import('node:fs');
    fake.writeProc(withoutHeader(readFixture('real-8.4.11', 'proc-primary-secondary-connected-alpha.txt')));
    const next = join(fake.dir, 'next-proc');
    writeFileSync(
      next,
      withoutHeader(readFixture('real-8.4.11', 'proc-io-suspended-fencing-primary-alpha.txt')),
    );
    const drbdsetup = fake.script(
      'drbdsetup',
      `cat <<'X'
${DUMP('Primary')}
X
sleep 0.3
cp "${next}" "${fake.procPath}"
echo 'change resource name:r0 suspended:fencing'
echo 'change connection name:r0 peer-node-id:0 conn-name:peer connection:Connecting role:Unknown'
exec sleep 30`,
    );
    const s = start({ drbdsetup, progressIntervalMs: 60_000 });
    await vi.waitFor(() => expect(s.view.devices[0]?.ioFlags).toBe('r-----'), WAIT);
    await vi.waitFor(() => expect(s.view.devices[0]?.ioFlags).toBe('s-----'), WAIT);
    expect(s.view.devices[0]).toMatchObject({ cstate: 'WFConnection', suspended: true, protocol: 'C' });
  });

  it('reports module-not-loaded while /proc/drbd is missing and recovers when it appears', async () => {
    const drbdsetup = fake.script(
      'drbdsetup',
      `if [ ! -e "${fake.procPath}" ]; then echo "Could not connect to 'drbd' generic netlink family" >&2; exit 20; fi
cat <<'X'
${DUMP('Secondary')}
X
exec sleep 30`,
    );
    const s = start({ drbdsetup });
    await vi.waitFor(() => expect(s.view.availability).toBe('module-not-loaded'), WAIT);
    expect(s.view.devices).toEqual([]);
    fake.writeProc(PROC_84);
    await vi.waitFor(() => expect(s.view.availability).toBe('ok'), WAIT);
    expect(s.view.source).toBe('events2');
  });

  it('clears the view when the module goes away under a running child', async () => {
    fake.writeProc(PROC_84);
    const drbdsetup = fake.script(
      'drbdsetup',
      `cat <<'X'
${DUMP('Secondary')}
X
while [ -e "${fake.procPath}" ]; do sleep 0.05; done
echo "Could not connect to 'drbd' generic netlink family" >&2
exit 20`,
    );
    const s = start({ drbdsetup });
    await vi.waitFor(() => expect(s.view.availability).toBe('ok'), WAIT);
    fake.removeProc();
    await vi.waitFor(() => expect(s.view.availability).toBe('module-not-loaded'), WAIT);
    expect(s.view.devices).toEqual([]);
  });

  it('shows not-configured when nothing is up', async () => {
    fake.writeProc(PROC_84);
    const drbdsetup = fake.script('drbdsetup', `echo 'exists -'\nexec sleep 30`);
    const s = start({ drbdsetup });
    await vi.waitFor(() => expect(s.view.availability).toBe('not-configured'), WAIT);
  });
});

describe('DrbdEventSource polling /proc/drbd', () => {
  const PROC_CONNECTED = withoutHeader(
    readFixture('real-8.4.11', 'proc-primary-secondary-connected-alpha.txt'),
  );
  const PROC_WFC = withoutHeader(
    readFixture('real-8.4.11', 'proc-secondary-outdated-wfconnection-bravo.txt'),
  );

  it('falls back to polling when events2 keeps failing, and follows the file', async () => {
    fake.writeProc(PROC_CONNECTED);
    const drbdsetup = fake.script('drbdsetup', `echo "drbdsetup events2: unknown command" >&2; exit 20`);
    const s = start({ drbdsetup, events2FailuresBeforeFallback: 2 });
    await vi.waitFor(() => expect(s.view.source).toBe('proc'), WAIT);
    expect(s.view.devices[0]).toMatchObject({
      minor: 1,
      cstate: 'Connected',
      role: 'Primary',
      resource: null,
    });
    fake.writeProc(PROC_WFC);
    await vi.waitFor(() => expect(s.view.devices[0]?.cstate).toBe('WFConnection'), WAIT);
  });

  it('falls back at once when drbdsetup does not exist, and names minors when told', async () => {
    fake.writeProc(PROC_CONNECTED);
    const s = start({
      drbdsetup: join(fake.dir, 'no-such-drbdsetup'),
      names: new Map([[1, { resource: 'r0', volume: 0 }]]),
    });
    await vi.waitFor(() => expect(s.view.source).toBe('proc'), WAIT);
    expect(s.view.devices[0]).toMatchObject({ resource: 'r0', volume: 0 });
  });

  it('never falls back to polling on DRBD 9 (its /proc/drbd lists no devices)', async () => {
    fake.writeProc(withoutHeader(readFixture('proc', 'proc-9-version-only.txt')));
    const runs = join(fake.dir, 'runs');
    const drbdsetup = fake.script('drbdsetup', `echo x >> "${runs}"; exit 20`);
    const s = start({ drbdsetup, events2FailuresBeforeFallback: 2 });
    await vi.waitFor(async () => {
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(runs, 'utf8').length).toBeGreaterThanOrEqual(10);
    }, WAIT);
    expect(s.view).toMatchObject({ version: '9.2.12', source: 'events2', availability: 'unknown' });
  });

  it('polls only in proc mode and reports a missing module', async () => {
    const s = start({ drbdsetup: '/bin/false', mode: 'proc' });
    await vi.waitFor(() => expect(s.view.availability).toBe('module-not-loaded'), WAIT);
    fake.writeProc(PROC_WFC);
    await vi.waitFor(() => expect(s.view.availability).toBe('ok'), WAIT);
    expect(s.view.source).toBe('proc');
  });

  it('reports source-failed on an unparseable proc file', async () => {
    fake.writeProc('this is not drbd\n');
    const s = start({ drbdsetup: '/bin/false', mode: 'proc' });
    await vi.waitFor(() => expect(s.view.availability).toBe('source-failed'), WAIT);
  });
});

describe('DrbdEventSource restart backoff on a virtual clock', () => {
  it('doubles the restart delay up to its maximum and never sleeps', async () => {
    const { VirtualClock } = await import('../../../src/common/clock.js');
    fake.writeProc(PROC_84);
    const drbdsetup = fake.script('drbdsetup', 'exit 20');
    const clock = new VirtualClock(0);
    source = new DrbdEventSource({
      drbdsetup,
      procPath: fake.procPath,
      pollIntervalMs: 1000,
      mode: 'events2',
      restartBackoff: { initialMs: 100, maxMs: 500 },
      clock,
    });
    source.start();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = clock.nowMs();
      // The child exits on its own; then the only timer left is the restart.
      await vi.waitFor(() => {
        const next = clock.nextTimerAtMs();
        expect(next).not.toBeNull();
        expect(next).not.toBe(before + 1000); // the progress timer of a still-running child
      }, WAIT);
      const next = clock.nextTimerAtMs() ?? 0;
      delays.push(next - before);
      clock.runUntil(next);
    }
    expect(delays).toEqual([100, 200, 400, 500, 500]);
    expect(source.view.availability).toBe('unknown');
  });
});

describe('DrbdEventSource with an unparseable /proc/drbd', () => {
  it('still follows events2 (the file only tells the version)', async () => {
    fake.writeProc('something new\n');
    const drbdsetup = fake.script('drbdsetup', `cat <<'X'\n${DUMP('Primary')}\nX\nexec sleep 30`);
    const s = start({ drbdsetup });
    await vi.waitFor(() => expect(s.view.availability).toBe('ok'), WAIT);
    expect(s.view).toMatchObject({ version: null, source: 'events2' });
  });
});
