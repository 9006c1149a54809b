/**
 * The DRBD 8.4 fencing rules the daemon's safety rests on (drbd_state.c sanitize_state and
 * after_state_ch, drbd_nl.c conn_try_outdate_peer), pinned on the model: with
 * `resource-and-stonith` a Primary that loses its peer freezes I/O (`s` flag, events2
 * `suspended:fencing`) while fence-peer runs; exits 3/4/5/7 resume it, any other exit leaves it
 * frozen until `drbdadm resume-io` or a reconnect; `resource-only` never freezes. The frozen state
 * line is the shared real fixture proc-io-suspended-fencing-primary-alpha.txt.
 */
import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../src/sim/cluster.js';
import type { FencingPolicy } from '../../../src/sim/types.js';
import { readProc } from './fixtures.js';

const stateLine = (proc: string) => proc.split('\n').find((l) => l.includes(' cs:')) ?? '';

/** A fence-peer handler the test releases with an exit code. */
function heldHandler(): {
  readonly fencePeer: () => Promise<number>;
  readonly calls: () => number;
  exit(code: number): void;
} {
  let release: ((code: number) => void) | null = null;
  let calls = 0;
  return {
    fencePeer: () =>
      new Promise<number>((resolve) => {
        calls++;
        release = resolve;
      }),
    calls: () => calls,
    exit(code) {
      if (!release) throw new Error('the fence-peer handler is not running');
      const r = release;
      release = null;
      r(code);
    },
  };
}

/** alpha Primary, bravo Secondary, Connected; then the link is cut and alpha notices. */
async function cutPrimary(fencing: FencingPolicy, handler: ReturnType<typeof heldHandler>) {
  const c = new SimCluster({ seed: 21, config: { fencing }, fencePeer: handler.fencePeer });
  await c.advance(3000);
  expect((await c.exec('alpha', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(0);
  expect((await c.writeAndSettle('alpha', 3)).acked).toEqual([true, true, true]);
  c.cutLink();
  await c.advance(4000);
  expect(c.node('alpha').cstate).toBe('WFConnection');
  expect(handler.calls()).toBe(1);
  return c;
}

const suspendedField = (c: SimCluster) =>
  c
    .events2Log('alpha')
    .filter((l) => l.startsWith('change resource') && l.includes('suspended:'))
    .map((l) => /suspended:(\S+)/.exec(l)?.[1]);

describe('fencing resource-and-stonith: I/O frozen while fence-peer runs', () => {
  it('freezes as real DRBD shows it (s flag, suspended:fencing); writes wait', async () => {
    const h = heldHandler();
    const c = await cutPrimary('resource-and-stonith', h);
    expect(c.node('alpha').suspended).toBe(true);
    expect(stateLine(c.procDrbd('alpha'))).toBe(
      stateLine(readProc('proc-io-suspended-fencing-primary-alpha.txt')),
    );
    expect(suspendedField(c)).toEqual(['fencing']);
    const w = c.write('alpha', 2);
    expect(w.accepted).toHaveLength(2);
    await c.advance(30_000);
    expect(c.node('alpha').suspended).toBe(true);
    expect(w.accepted.every((x) => !c.checker.acknowledged().has(x.id))).toBe(true);
  });

  const RESUMING = [
    [3, 'Inconsistent'],
    [4, 'Outdated'],
    [5, 'Outdated'],
    [7, 'Outdated'],
  ] as const;
  for (const [code, peerDisk] of RESUMING)
    it(`exit ${code}: I/O resumes, the frozen writes complete, the peer disk is ${peerDisk}`, async () => {
      const h = heldHandler();
      const c = await cutPrimary('resource-and-stonith', h);
      const w = c.write('alpha', 2);
      await c.advance(1000);
      h.exit(code);
      await c.advance(500);
      expect(c.node('alpha').suspended).toBe(false);
      expect(await Promise.all(w.done)).toEqual([true, true]);
      expect(c.node('alpha').peerDisk).toBe(peerDisk);
      expect(suspendedField(c)).toEqual(['fencing', 'no']);
      // The data diverged from the peer's at the loss: a new current UUID, made once I/O resumed.
      expect(c.node('alpha').metadata().uuids.bitmap).not.toBe('0000000000000000');
    });

  for (const code of [0, 1, 2, 6, 8, 20, 127])
    it(`exit ${code} (no proof the peer is outdated): I/O stays frozen until resume-io`, async () => {
      const h = heldHandler();
      const c = await cutPrimary('resource-and-stonith', h);
      const w = c.write('alpha', 1);
      h.exit(code);
      await c.advance(60_000);
      expect(c.node('alpha').suspended).toBe(true);
      expect(c.node('alpha').peerDisk).toBe('DUnknown');
      expect(c.checker.acknowledged().has(w.accepted[0]?.id ?? '')).toBe(false);
      expect(await c.exec('alpha', ['drbdadm', 'resume-io', 'r0'])).toEqual({
        stdout: '',
        stderr: '',
        exitCode: 0,
      });
      await c.advance(100);
      expect(c.node('alpha').suspended).toBe(false);
      expect(await w.done[0]).toBe(true);
      expect(c.node('alpha').metadata().uuids.bitmap).not.toBe('0000000000000000');
    });

  it('a failed handler (exit 1) leaves I/O frozen until the connection is back', async () => {
    const h = heldHandler();
    const c = await cutPrimary('resource-and-stonith', h);
    const w = c.write('alpha', 1);
    h.exit(1);
    await c.advance(10_000);
    expect(c.node('alpha').suspended).toBe(true);
    c.restoreLink();
    await c.advance(5000);
    expect(c.node('alpha').cstate).toBe('Connected');
    expect(c.node('alpha').suspended).toBe(false);
    expect(await w.done[0]).toBe(true);
    expect(c.checkWrites().ok).toBe(true);
  });

  it('a Primary that loses an Inconsistent peer (its SyncTarget) neither freezes nor calls fence-peer', async () => {
    const h = heldHandler();
    const c = new SimCluster({
      seed: 22,
      config: { fencing: 'resource-and-stonith', resyncRateKiBps: 40 },
      fencePeer: h.fencePeer,
    });
    await c.advance(3000);
    expect((await c.exec('alpha', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(0);
    expect((await c.exec('bravo', ['drbdadm', 'disconnect', 'r0'])).exitCode).toBe(0);
    await c.writeAndSettle('alpha', 200);
    expect((await c.exec('bravo', ['drbdadm', 'connect', 'r0'])).exitCode).toBe(0);
    await c.advance(3000);
    expect(c.node('alpha').cstate).toBe('SyncSource');
    expect(c.node('alpha').peerDisk).toBe('Inconsistent');
    c.cutLink();
    await c.advance(4000);
    expect(c.node('alpha').cstate).toBe('WFConnection');
    expect(c.node('alpha').peerDisk).toBe('Inconsistent');
    expect(c.node('alpha').suspended).toBe(false);
    expect(h.calls()).toBe(0);
    expect((await c.writeAndSettle('alpha', 1)).acked).toEqual([true]);
  });
});

describe('fencing resource-only: no freeze', () => {
  for (const code of [1, 4, 7])
    it(`writes go on while the handler runs and after it exits ${code}`, async () => {
      const h = heldHandler();
      const c = await cutPrimary('resource-only', h);
      expect(c.node('alpha').suspended).toBe(false);
      expect(stateLine(c.procDrbd('alpha'))).toBe(
        ' 1: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown C r-----',
      );
      expect((await c.writeAndSettle('alpha', 2)).acked).toEqual([true, true]);
      h.exit(code);
      await c.advance(500);
      expect(c.node('alpha').suspended).toBe(false);
      expect(suspendedField(c)).toEqual([]);
      expect((await c.writeAndSettle('alpha', 1)).acked).toEqual([true]);
      expect(c.node('alpha').peerDisk).toBe(code === 1 ? 'DUnknown' : 'Outdated');
    });
});

describe('an out-of-band outdate (what a dopd-style handler does on the peer)', () => {
  it('is refused while the peer still believes it is connected, and works once it noticed the cut', async () => {
    const c = new SimCluster({ seed: 23, config: { fencing: 'resource-only' } });
    await c.advance(3000);
    expect((await c.exec('alpha', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(0);
    c.cutLink();
    expect(c.node('bravo').linked).toBe(true);
    expect(c.node('bravo').forceOutdate()).toBe(false);
    expect(c.node('bravo').disk).toBe('UpToDate');
    await c.advance(4000);
    expect(c.node('bravo').cstate).toBe('WFConnection');
    expect(c.node('bravo').forceOutdate()).toBe(true);
    expect(c.node('bravo').disk).toBe('Outdated');
    expect((await c.exec('bravo', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(17);
  });
});
