import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonPair, MOUNT_POINT } from './daemon-pair.js';
import { useLab } from './lab-fixture.js';

// The daemon on real DRBD 8.4: drbd-sentinel runs in both lab VMs from the shared dist/, with DRBD's
// resource-level fencing calling it as fence-peer handler, and node fencing (STONITH) done by the
// host, which power-kills the peer VM when a daemon's fence handler asks (daemon-pair.ts). One booted
// lab serves every scenario; `prepare` resets DRBD and restarts the daemons between them.

const lab = useLab({ needsBuild: true });
let pair: DaemonPair;

beforeAll(() => {
  pair = new DaemonPair(lab());
});
afterAll(async () => {
  // Measurements for docs/testing.md (per scenario: boot+install, DRBD reset, daemons up).
  console.log(`daemon scenarios: prepare timings ${JSON.stringify(pair?.timings)}`);
  await pair?.close();
});

/** Writes a file on the mounted Primary and flushes it (protocol C: on both disks once sync returns). */
async function writeMarker(node: 'alpha' | 'bravo', name: string): Promise<void> {
  await lab().must(node, `echo ${name} >${MOUNT_POINT}/${name} && sync`);
}

describe('drbd-sentinel on real DRBD', () => {
  it('takes over after a power-kill of the Primary VM: fences, promotes, mounts', async () => {
    await pair.prepare('stonith');
    await writeMarker('alpha', 'before-power-loss');
    await lab().vm('alpha').powerKill();
    await pair.waitGuest(
      'bravo',
      'r0 mounted after the takeover',
      `grep -q ' ${MOUNT_POINT} ' /proc/mounts`,
      120_000,
    );
    // The takeover was proven safe by node fencing: the handler asked the host, which powered alpha off.
    expect(pair.fenceRequests).toContainEqual(
      expect.objectContaining({ from: 'bravo', peer: 'alpha', answer: 'off' }),
    );
    expect(await lab().procDrbd('bravo')).toMatch(/ro:Primary\/Unknown ds:UpToDate\/(Outdated|DUnknown)/);
    expect(await lab().must('bravo', `grep -c ' ${MOUNT_POINT} ' /proc/mounts`)).toMatch(/^1/);
    expect(await lab().must('bravo', `cat ${MOUNT_POINT}/before-power-loss`)).toBe('before-power-loss\n');
    await pair.waitNotification('bravo', 'failover', 30_000);
  }, 400_000);

  it('performs a switchover with a busy mount: on-busy-umount kill ends the holder', async () => {
    await pair.prepare('stonith');
    await writeMarker('alpha', 'before-switchover');
    // A process with its working directory on the file system: umount fails with "busy" until it is gone.
    await lab().must(
      'alpha',
      `cd ${MOUNT_POINT} && setsid sleep 100000 </dev/null >/dev/null 2>&1 & echo $! >/tmp/holder.pid`,
    );
    const sw = await lab().sh('alpha', '/shared/scripts/lab/guest/daemon/sentinel switchover r0', 240);
    expect(sw.exitCode, `switchover: ${sw.stdout}${sw.stderr}`).toBe(0);
    await pair.waitGuest(
      'bravo',
      'r0 mounted after the switchover',
      `grep -q ' ${MOUNT_POINT} ' /proc/mounts`,
      60_000,
    );
    expect(await lab().procDrbd('alpha')).toMatch(/cs:Connected ro:Secondary\/Primary ds:UpToDate\/UpToDate/);
    expect(
      (await lab().sh('alpha', 'kill -0 $(cat /tmp/holder.pid)')).exitCode,
      'the holder of the mount point was killed',
    ).not.toBe(0);
    expect(await lab().must('bravo', `cat ${MOUNT_POINT}/before-switchover`)).toBe('before-switchover\n');
    expect(pair.fenceRequests).toEqual([]);
  }, 400_000);
  it('refuses to promote an Outdated disk: the Primary power-killed, the survivor pages and stays Secondary', async () => {
    await pair.prepare('stonith');
    // The operator takes bravo's replication down and marks its disk Outdated, and alpha then loses
    // power before DRBD reconnects: bravo's data may be stale, so it must never be promoted.
    await lab().must('bravo', 'drbdadm disconnect r0 && drbdadm outdate r0');
    await lab().vm('alpha').powerKill();
    expect(await lab().procDrbd('bravo'), 'precondition: bravo outdated when alpha died').toMatch(
      /ro:Secondary\/Unknown ds:Outdated\//,
    );
    const refused = await pair.waitNotification('bravo', 'refused', 120_000);
    expect(JSON.stringify(refused)).toMatch(/REFUSE_NOT_UPTODATE|not UpToDate/);
    // Give the daemon time to do anything it would do (fence delay, retries), then look again.
    await new Promise((r) => setTimeout(r, 15_000));
    const proc = await lab().procDrbd('bravo');
    expect(proc).toMatch(/ro:Secondary\/Unknown ds:Outdated\//);
    expect(await lab().must('bravo', `grep -c ' ${MOUNT_POINT} ' /proc/mounts || true`)).toMatch(/^0/);
  }, 400_000);

  it('detects and pages a split-brain, freezes the resource on both nodes and takes no action', async () => {
    // fencing.policy resource-only: an unreachable peer is never fenced or taken over from, so the
    // link cut leaves alpha Primary and bravo waiting; the operator then promotes bravo by hand.
    await pair.prepare('resource-only');
    await lab().cutLink();
    await lab().waitFor('bravo', (p) => /cs:(WFConnection|StandAlone)/.test(p), 60_000);
    await lab().waitFor('alpha', (p) => /cs:(WFConnection|StandAlone)/.test(p), 60_000);
    await lab().must('bravo', 'drbdadm primary r0');
    await writeMarker('alpha', 'written-on-alpha');
    await lab().must(
      'bravo',
      'dd if=/dev/urandom of=/dev/drbd1 bs=4096 count=16 seek=12000 conv=fsync 2>/dev/null',
    );
    await lab().restoreLink();
    for (const n of ['alpha', 'bravo'] as const)
      await lab().waitFor(n, (p) => /cs:StandAlone ro:Primary\/Unknown/.test(p), 90_000);
    for (const n of ['alpha', 'bravo'] as const) {
      await pair.waitNotification(n, 'split-brain', 90_000);
      const st = await pair.status(n);
      expect(
        st?.resources.find((r) => r.name === 'r0'),
        `${n}: status --json`,
      ).toMatchObject({
        frozen: true,
        role: 'Primary',
        cstate: 'StandAlone',
      });
    }
    // No automatic action: after a while both are still Primary and StandAlone, alpha still mounted.
    await new Promise((r) => setTimeout(r, 15_000));
    for (const n of ['alpha', 'bravo'] as const)
      expect(await lab().procDrbd(n)).toMatch(/cs:StandAlone ro:Primary\/Unknown ds:UpToDate\//);
    expect(await lab().must('alpha', `cat ${MOUNT_POINT}/written-on-alpha`)).toBe('written-on-alpha\n');
    expect(pair.fenceRequests).toEqual([]);
  }, 400_000);
});
