/**
 * Power loss of one node and of both in turn, as a randomized fault schedule produces them: the roles
 * and disk states DRBD 8.4 gives after each rejoin. The both-nodes case is the lab's
 * `both-power-loss` capture (test/fixtures/real/*-both-power-loss-*): a node that comes back alone
 * with fencing is only Consistent, and turns UpToDate as it becomes SyncSource.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimCluster, type SimClusterOptions } from '../../../src/sim/cluster.js';
import type { FencingPolicy } from '../../../src/sim/types.js';

const REAL = new URL('../../fixtures/real/', import.meta.url);
const stateLine = (proc: string) => proc.split('\n').find((l) => l.includes(' cs:')) ?? '';
const realStateLine = (name: string) => stateLine(readFileSync(new URL(name, REAL), 'utf8'));
/** `cs ro ds` of a node's /proc/drbd (protocol and I/O flags left out). */
const summary = (c: SimCluster, n: string) =>
  stateLine(c.procDrbd(n))
    .replace(/^\s*1: /, '')
    .replace(/ C [\w-]+$/, '');

async function primaryPair(options: SimClusterOptions): Promise<SimCluster> {
  const c = new SimCluster({ seed: 9, ...options });
  await c.advance(3000);
  expect((await c.exec('alpha', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(0);
  const w = await c.writeAndSettle('alpha', 8);
  expect(w.acked.every((a) => a === true)).toBe(true);
  return c;
}

/** Advances in steps until `n`'s /proc/drbd matches, recording every distinct state line seen. */
async function until(c: SimCluster, n: string, re: RegExp, seen: string[], maxMs = 120_000): Promise<void> {
  for (let t = 0; t < maxMs; t += 100) {
    for (const x of ['alpha', 'bravo'])
      if (c.node(x).up) {
        const s = `${x} ${summary(c, x)}`;
        if (seen.at(-1) !== s && !seen.includes(s)) seen.push(s);
      }
    if (re.test(c.procDrbd(n))) return;
    await c.advance(100);
  }
  throw new Error(`${n} never matched ${re}: ${c.procDrbd(n)}`);
}

const POLICIES: readonly FencingPolicy[] = ['resource-only', 'resource-and-stonith'];

describe('both nodes lose power in turn, then come back one after the other', () => {
  for (const fencing of POLICIES)
    for (const first of ['alpha', 'bravo'] as const)
      for (const upFirst of ['alpha', 'bravo'] as const)
        it(`${fencing}: ${first} (of Primary alpha) off first, ${upFirst} up first: the SyncSource is UpToDate, both end UpToDate`, async () => {
          const c = await primaryPair({ config: { fencing }, fencePeer: async () => 1 });
          const second = first === 'alpha' ? 'bravo' : 'alpha';
          const upSecond = upFirst === 'alpha' ? 'bravo' : 'alpha';
          c.crash(first);
          await c.advance(5000);
          c.crash(second);
          c.powerOn(upFirst, true);
          await c.advance(3000);
          // Alone, with fencing and no word from the peer: only Consistent (as captured).
          expect(summary(c, upFirst)).toBe('cs:WFConnection ro:Secondary/Unknown ds:Consistent/DUnknown');
          c.powerOn(upSecond, true);
          const seen: string[] = [];
          await until(c, 'alpha', /cs:Connected .*ds:UpToDate\/UpToDate/, seen);
          await until(c, 'bravo', /cs:Connected .*ds:UpToDate\/UpToDate/, seen);
          // DRBD's sanitize_state: a SyncSource is UpToDate and its peer Inconsistent, a SyncTarget the reverse.
          const syncing = seen.filter((s) => /cs:Sync(Source|Target)/.test(s));
          expect(syncing.length).toBeGreaterThan(0);
          for (const s of syncing)
            expect(s).toMatch(
              /cs:SyncSource .*ds:UpToDate\/Inconsistent|cs:SyncTarget .*ds:Inconsistent\/UpToDate/,
            );
          // Consistent vanishes once connected (the bug was a SyncSource staying Consistent after the resync).
          const consistentWhileLinked = seen.filter((s) => {
            const m = /cs:(\w+) .*ds:(\w+)\/(\w+)/.exec(s);
            if (m?.[1] === 'WFConnection') return false;
            return m?.[2] === 'Consistent' || (m?.[3] === 'Consistent' && m[1] !== 'WFBitMapS');
          });
          expect(consistentWhileLinked).toEqual([]);
          expect(c.checkWrites().ok).toBe(true);
        });

  it('matches the lab capture: Consistent alone, SyncSource UpToDate/Inconsistent, then UpToDate/UpToDate', async () => {
    const c = await primaryPair({ config: { fencing: 'resource-only' } });
    c.crash('alpha');
    await c.advance(5000);
    c.crash('bravo');
    c.powerOn('alpha', true);
    await c.advance(3000);
    expect(stateLine(c.procDrbd('alpha'))).toBe(
      realStateLine('proc-consistent-alone-after-both-power-loss-alpha.txt'),
    );
    c.powerOn('bravo', true);
    await until(c, 'alpha', /cs:SyncSource/, []);
    for (const n of ['alpha', 'bravo'])
      expect(stateLine(c.procDrbd(n)), n).toBe(realStateLine(`proc-resync-after-both-power-loss-${n}.txt`));
    await until(c, 'alpha', /cs:Connected .*ds:UpToDate\/UpToDate/, []);
    for (const n of ['alpha', 'bravo'])
      expect(stateLine(c.procDrbd(n)), n).toBe(realStateLine(`proc-uptodate-after-both-power-loss-${n}.txt`));
  });

  it('a Consistent node alone is refused Primary after four fence-peer calls that do not fence (as captured)', async () => {
    const c = await primaryPair({ config: { fencing: 'resource-only' }, fencePeer: async () => 0 });
    c.crash('alpha');
    await c.advance(5000);
    c.crash('bravo');
    c.powerOn('alpha', true);
    await c.advance(3000);
    const r = await c.exec('alpha', ['drbdadm', 'primary', 'r0']);
    const real = readFileSync(new URL('refuse-primary-consistent-alone.txt', REAL), 'utf8');
    expect(r.exitCode).toBe(Number(/^rc=(\d+)$/m.exec(real)?.[1]));
    expect(real).toContain(r.stderr.trim());
    const calls = (log: string[]) => log.filter((l) => /^call helper .*helper:fence-peer/.test(l)).length;
    expect(calls(c.events2Log('alpha'))).toBe(4);
    const realCalls = readFileSync(new URL('events2-both-power-loss-alpha-boot2.log', REAL), 'utf8')
      .split('\n')
      .map((l) => l.replace(/^\S+\+00:00 /, ''));
    expect(calls(realCalls)).toBe(4);
  });

  it('a handler that outdates the peer lets the Consistent node alone become Primary (UpToDate)', async () => {
    const c = await primaryPair({ config: { fencing: 'resource-only' }, fencePeer: async () => 4 });
    c.crash('alpha');
    await c.advance(5000);
    c.crash('bravo');
    c.powerOn('alpha', true);
    await c.advance(3000);
    expect((await c.exec('alpha', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(0);
    expect(summary(c, 'alpha')).toBe('cs:WFConnection ro:Primary/Unknown ds:UpToDate/Outdated');
  });
});

describe('power loss of the Primary, then its rejoin', () => {
  for (const fencing of ['dont-care', ...POLICIES] as const)
    it(`${fencing}: the survivor stays Secondary UpToDate; the rejoined node resyncs as crashed Primary; both Secondary UpToDate`, async () => {
      const c = await primaryPair({ config: { fencing }, fencePeer: async () => 1 });
      c.crash('alpha');
      await c.advance(5000);
      expect(summary(c, 'bravo')).toBe('cs:WFConnection ro:Secondary/Unknown ds:UpToDate/DUnknown');
      expect(c.node('bravo').suspended).toBe(false);
      c.powerOn('alpha', true);
      const seen: string[] = [];
      await until(c, 'bravo', /cs:Connected .*ds:UpToDate\/UpToDate/, seen);
      await until(c, 'alpha', /cs:Connected .*ds:UpToDate\/UpToDate/, seen);
      expect(seen).toContain('alpha cs:SyncSource ro:Secondary/Secondary ds:UpToDate/Inconsistent');
      expect(summary(c, 'alpha')).toBe('cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate');
      expect(c.checkWrites().ok).toBe(true);
    });

  for (const fencing of POLICIES)
    it(`${fencing}: after a failover to the survivor (peer stonithed), the old Primary rejoins as SyncTarget, no write lost`, async () => {
      const c = await primaryPair({ config: { fencing }, fencePeer: async () => 7 });
      c.crash('alpha');
      await c.advance(5000);
      expect((await c.exec('bravo', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(0);
      expect(summary(c, 'bravo')).toBe('cs:WFConnection ro:Primary/Unknown ds:UpToDate/Outdated');
      const w = await c.writeAndSettle('bravo', 6);
      expect(w.acked.every((a) => a === true)).toBe(true);
      c.powerOn('alpha', true);
      const seen: string[] = [];
      await until(c, 'alpha', /cs:Connected .*ds:UpToDate\/UpToDate/, seen);
      expect(seen).toContain('alpha cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate');
      expect(summary(c, 'bravo')).toBe('cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate');
      expect(c.checkWrites().ok).toBe(true);
    });
});
