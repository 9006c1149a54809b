import { describe, expect, it } from 'vitest';
import { SimCluster, type SimClusterOptions } from '../../../src/sim/cluster.js';
import { readCapture, readProc } from './fixtures.js';

async function pair(options: SimClusterOptions = {}): Promise<SimCluster> {
  const c = new SimCluster({ seed: 42, ...options });
  await c.advance(3000);
  expect(c.node('alpha').cstate).toBe('Connected');
  const r = await c.exec('alpha', ['drbdadm', 'primary', 'r0']);
  expect(r.exitCode).toBe(0);
  return c;
}

/** The state line of a /proc/drbd text (`cs:... ro:... ds:... P flags`). */
const stateLine = (proc: string) => proc.split('\n').find((l) => l.includes(' cs:')) ?? '';

describe('refusals match real DRBD 8.4.11 captures', () => {
  it('promote of an Outdated disk: "Need access to UpToDate data", exit 17', async () => {
    const c = await pair();
    c.cutLink();
    await c.advance(4000);
    expect((await c.exec('bravo', ['drbdadm', 'outdate', 'r0'])).exitCode).toBe(0);
    expect(stateLine(c.procDrbd('bravo'))).toBe(
      stateLine(readProc('proc-secondary-outdated-wfconnection-bravo.txt')),
    );
    expect(await c.exec('bravo', ['drbdadm', 'primary', 'r0'])).toEqual(
      readCapture('refuse-primary-outdated.txt'),
    );
  });

  it('second Primary while connected: "Multiple primaries not allowed by config", exit 11', async () => {
    const c = await pair();
    expect(await c.exec('bravo', ['drbdadm', 'primary', 'r0'])).toEqual(
      readCapture('refuse-primary-peer-is-primary-connected.txt'),
    );
  });

  it('secondary while mounted: "Device is held open by someone", exit 11', async () => {
    const c = await pair();
    expect(c.mount('alpha')).toBe(true);
    expect(await c.exec('alpha', ['drbdadm', 'secondary', 'r0'])).toEqual(
      readCapture('refuse-secondary-while-mounted.txt'),
    );
    expect(c.umount('alpha')).toBe(true);
    expect((await c.exec('alpha', ['drbdadm', 'secondary', 'r0'])).exitCode).toBe(0);
  });

  it('outdate on a Primary: silent 17 disconnected, silent 0 connected', async () => {
    const c = await pair();
    expect(await c.exec('alpha', ['drbdadm', 'outdate', 'r0'])).toEqual({
      stdout: '',
      stderr: '',
      exitCode: 0,
    });
    c.cutLink();
    await c.advance(4000);
    expect(await c.exec('alpha', ['drbdadm', 'outdate', 'r0'])).toEqual({
      stdout: '',
      stderr: '',
      exitCode: 17,
    });
    expect(c.node('alpha').disk).toBe('UpToDate');
  });

  it('mount is refused on a Secondary', async () => {
    const c = await pair();
    expect(c.mount('bravo')).toBe(false);
  });
});

describe('/proc/drbd layouts match the captures', () => {
  it('Connected Primary/Secondary', async () => {
    const c = await pair();
    const proc = c.procDrbd('alpha');
    const real = readProc('proc-primary-secondary-connected-alpha.txt');
    expect(proc.split('\n').slice(0, 4)).toEqual(real.split('\n').slice(0, 4));
    expect(proc).toMatch(
      /^ {4}ns:\d+ nr:\d+ dw:\d+ dr:\d+ al:\d+ bm:\d+ lo:0 pe:\d+ ua:0 ap:\d+ ep:1 wo:f oos:\d+$/m,
    );
  });

  it('split-brain: both StandAlone with the split-brain helper, layout as captured', async () => {
    const c = await pair();
    c.cutLink();
    await c.advance(4000);
    expect((await c.exec('bravo', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(0);
    await c.writeAndSettle('alpha', 11);
    await c.writeAndSettle('bravo', 3);
    c.restoreLink();
    await c.advance(5000);
    for (const n of ['alpha', 'bravo']) {
      expect(c.node(n).cstate).toBe('StandAlone');
      expect(c.events2Log(n)).toContain(
        'call helper name:r0 peer-node-id:0 conn-name:peer volume:0 minor:1 helper:split-brain',
      );
    }
    expect(stateLine(c.procDrbd('alpha'))).toBe(stateLine(readProc('proc-standalone-split-brain-alpha.txt')));
    expect(c.procDrbd('alpha')).toContain('oos:44');
    // Recovery as in the lab: the victim discards its data.
    expect((await c.exec('bravo', ['drbdadm', 'secondary', 'r0'])).exitCode).toBe(0);
    expect((await c.exec('bravo', ['drbdadm', 'connect', '--discard-my-data', 'r0'])).exitCode).toBe(0);
    expect((await c.exec('alpha', ['drbdadm', 'connect', 'r0'])).exitCode).toBe(0);
    await c.advance(5000);
    expect(c.node('bravo').disk).toBe('UpToDate');
    expect(c.node('bravo').cstate).toBe('Connected');
    expect(c.node('bravo').heldWrites()).toEqual(c.node('alpha').heldWrites());
  });

  it('initial full sync shows the progress lines in the captured format', async () => {
    const c = new SimCluster({ seed: 3, initial: 'new', config: { resyncRateKiBps: 2028 } });
    await c.advance(3000);
    expect(c.node('alpha').disk).toBe('Inconsistent');
    expect((await c.exec('alpha', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(17);
    expect((await c.exec('alpha', ['drbdadm', 'primary', '--force', 'r0'])).exitCode).toBe(0);
    await c.advance(8000);
    const proc = c.procDrbd('alpha');
    expect(stateLine(proc)).toBe(' 1: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----');
    const real = readProc('proc-initial-sync-syncsource-2-alpha.txt');
    const shape = (t: string) =>
      t
        .split('\n')
        .filter((l) => l.startsWith('\t'))
        .map((l) =>
          l
            .replace(/\d/g, '9')
            .replace(/9+/g, '9')
            .replace(/[=>.]{20}/, 'BAR'),
        );
    expect(shape(proc)).toEqual(shape(real));
    await c.advance(200_000);
    expect(stateLine(c.procDrbd('bravo'))).toBe(
      ' 1: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate C r-----',
    );
  });
});

describe('fencing', () => {
  it('resource-and-stonith: I/O frozen while the handler runs, resumed on exit 7', async () => {
    const envs: Record<string, string>[] = [];
    const c = await pair({
      config: { fencing: 'resource-and-stonith' },
      fencePeer: async (_node, env) => {
        envs.push({ ...env });
        await new Promise<void>((r) => c.clock.setTimer(10_000, r));
        return 7;
      },
    });
    c.cutLink();
    await c.advance(3000);
    const w = c.write('alpha', 1);
    await c.advance(1000);
    expect(stateLine(c.procDrbd('alpha'))).toBe(
      stateLine(readProc('proc-io-suspended-fencing-primary-alpha.txt')),
    );
    expect(c.checker.acknowledged().size).toBe(0);
    await c.advance(10_000);
    expect(await w.done[0]).toBe(true);
    expect(c.node('alpha').peerDisk).toBe('Outdated');
    expect(c.events2Log('alpha')).toContain(
      'response helper name:r0 peer-node-id:0 conn-name:peer helper:fence-peer status:1792',
    );
    expect(envs[0]).toMatchObject({
      DRBD_RESOURCE: 'r0',
      DRBD_MINOR: '1',
      DRBD_PEER_ADDRESS: '10.77.0.2',
      DRBD_PEER_AF: 'ipv4',
      DRBD_PEERS: 'bravo',
    });
  });

  it('resource-and-stonith: a broken handler (exit 1) leaves I/O frozen', async () => {
    const c = await pair({ config: { fencing: 'resource-and-stonith' }, fencePeer: async () => 1 });
    c.cutLink();
    await c.advance(4000);
    expect(c.node('alpha').suspended).toBe(true);
    expect(c.write('alpha', 1).accepted).toHaveLength(1);
    await c.advance(5000);
    expect(c.checker.acknowledged().size).toBe(0);
  });

  it('resource-only: promoting a disconnected Secondary needs the handler to outdate the peer', async () => {
    let code = 1;
    const c = await pair({ config: { fencing: 'resource-only' }, fencePeer: async () => code });
    expect((await c.exec('alpha', ['drbdadm', 'secondary', 'r0'])).exitCode).toBe(0);
    c.cutLink();
    await c.advance(4000);
    const refused = await c.exec('bravo', ['drbdadm', 'primary', 'r0']);
    expect(refused.stderr).toBe(
      "1: State change failed: (-7) Refusing to be Primary while peer is not outdated\nCommand 'drbdsetup-84 primary 1' terminated with exit code 11\n",
    );
    expect(refused.exitCode).toBe(11);
    code = 4;
    expect((await c.exec('bravo', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(0);
    expect(c.node('bravo').peerDisk).toBe('Outdated');
    code = 6;
    expect((await c.exec('alpha', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(17);
    expect(c.node('alpha').disk).toBe('Outdated');
  });

  it('graceful disconnect with fencing outdates the Secondary', async () => {
    const c = await pair({ config: { fencing: 'resource-only' } });
    expect((await c.exec('bravo', ['drbdadm', 'disconnect', 'r0'])).exitCode).toBe(0);
    expect(c.node('bravo').disk).toBe('Outdated');
    expect(c.node('bravo').cstate).toBe('StandAlone');
    expect(c.node('alpha').peerDisk).toBe('Outdated');
    expect(c.node('alpha').cstate).toBe('WFConnection');
  });
});

describe('faults', () => {
  it('disconnect blocks on a cut link until the loss is detected (8.4 default timings: rc 20)', async () => {
    const c = await pair({ config: { pingIntMs: 10_000, pingTimeoutMs: 500, timeoutMs: 6000 } });
    await c.advance(1000);
    c.cutLink();
    const r = await c.exec('alpha', ['drbdadm', 'disconnect', 'r0']);
    const real = readCapture('refuse-disconnect-blocking-link-cut.txt');
    expect(r.exitCode).toBe(real.exitCode);
    expect(r.stderr).toBe(`${real.stderr.split('\n')[0]}\n`);
  });

  it('crash: metadata and data survive, memory does not; the crashed Primary resyncs on rejoin', async () => {
    const c = await pair();
    await c.writeAndSettle('alpha', 4);
    c.crash('alpha');
    expect(c.procDrbd('alpha')).toBe(
      'version: 8.4.11 (api:1/proto:86-101)\nsrcversion: F73C670A7EC572DB9CF3E5B \n',
    );
    await c.advance(4000);
    expect(c.node('bravo').cstate).toBe('WFConnection');
    c.powerOn('alpha');
    expect(c.node('alpha').heldWrites()).toHaveLength(4);
    expect(c.node('alpha').md.crashedPrimary).toBe(true);
    expect((await c.exec('alpha', ['drbdadm', 'role', 'r0'])).exitCode).toBe(10);
    expect((await c.exec('alpha', ['drbdadm', 'up', 'r0'])).exitCode).toBe(0);
    await c.advance(6000);
    expect(c.node('alpha').cstate).toBe('Connected');
    expect(c.node('alpha').role).toBe('Secondary');
    expect(c.events2Log('alpha').some((l) => l.includes('replication:SyncSource'))).toBe(true);
    expect(c.checkWrites().ok).toBe(true);
  });

  it('fail-disk with on-io-error detach: Failed then Diskless, the peer sees it', async () => {
    const c = await pair();
    c.failDisk('bravo', true);
    await c.advance(100);
    expect(c.node('bravo').disk).toBe('Diskless');
    expect(c.node('alpha').peerDisk).toBe('Diskless');
    const log = c.events2Log('bravo');
    expect(log).toContain('change device name:r0 volume:0 minor:1 disk:Failed');
    expect(log).toContain('change device name:r0 volume:0 minor:1 disk:Diskless');
    expect((await c.exec('bravo', ['drbdadm', 'attach', 'r0'])).exitCode).toBe(10);
  });

  it('a SyncTarget Primary keeps the writes that cross the sync-done on the link (chaos seed 3084)', async () => {
    // The old model replaced the target's disk with the source's list at sync-done, and lost the
    // target's own last write that was still on its way to the source (acknowledged by both).
    const c = await pair({ linkDelayMs: 20 });
    c.failDisk('alpha', true);
    await c.advance(100);
    expect(c.node('alpha').disk).toBe('Diskless');
    await c.writeAndSettle('alpha', 20);
    c.node('alpha').repairDisk();
    expect((await c.exec('alpha', ['drbdadm', 'attach', 'r0'])).exitCode).toBe(0);
    const acked: string[] = [];
    let sawSyncTarget = false;
    for (let i = 0; i < 4000 && !(sawSyncTarget && c.node('alpha').cstate === 'Connected'); i++) {
      if (c.node('alpha').cstate === 'SyncTarget') sawSyncTarget = true;
      const w = c.write('alpha', 1);
      w.done.forEach((p, j) => void p.then((ok) => ok && acked.push(w.accepted[j]!.id)));
      await c.advance(5);
    }
    await c.advance(1000);
    expect(sawSyncTarget).toBe(true);
    expect(c.node('alpha').disk).toBe('UpToDate');
    expect(acked.length).toBeGreaterThan(10);
    const held = new Set(c.node('alpha').heldWrites());
    expect(acked.filter((id) => !held.has(id))).toEqual([]);
    expect(c.checkWrites().ok).toBe(true);
  });

  it('down of a held Primary fails to demote', async () => {
    const c = await pair();
    c.node('alpha').hold();
    const r = await c.exec('alpha', ['drbdadm', 'down', 'r0']);
    expect(r.exitCode).toBe(11);
    expect(r.stderr).toContain('r0: State change failed: (-12) Device is held open by someone');
  });

  it('events2 --now matches the captured snapshot format', async () => {
    const c = await pair();
    const real = readCapture('events2-now-primary-connected.txt');
    void real;
    const r = await c.exec('alpha', ['drbdsetup', 'events2', '--now', 'all']);
    expect(r.stdout).toBe(
      [
        'exists resource name:r0 role:Primary suspended:no',
        'exists connection name:r0 peer-node-id:0 conn-name:peer connection:Connected role:Secondary',
        'exists device name:r0 volume:0 minor:1 disk:UpToDate',
        'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:UpToDate resync-suspended:no',
        'exists -',
        '',
      ].join('\n'),
    );
    const s = await c.exec('alpha', ['drbdsetup', 'events2', '--now', '--timestamps', '--statistics', 'all']);
    expect(s.stdout.split('\n')[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 exists resource name:r0 role:Primary suspended:no write-ordering:flush$/,
    );
    expect((await c.exec('alpha', ['drbdsetup', 'events2', '--poll', 'all'])).exitCode).toBe(20);
  });

  it('freeze: the peer notices the silence; on thaw the frozen node catches up and reconnects', async () => {
    const c = await pair();
    c.freeze('alpha');
    await c.advance(4000);
    expect(c.node('bravo').cstate).toBe('WFConnection');
    expect(c.node('alpha').cstate).toBe('Connected');
    c.thaw('alpha');
    await c.advance(6000);
    expect(c.node('alpha').cstate).toBe('Connected');
    expect(c.node('bravo').cstate).toBe('Connected');
    expect(c.node('alpha').role).toBe('Primary');
  });
});
