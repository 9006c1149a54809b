/**
 * Issue 15, item 5: etcd killed under a serving pair with an arbiter. The pair keeps serving with no
 * role change caused by etcd alone, and a later power-off of the Primary is still taken over, through
 * the fence delay and STONITH as without an arbiter (docs/arbiter.md, "etcd down or unreachable").
 */
import { describe, expect, it } from 'vitest';
import { DEADTIME_MS, resourceOf, servesResource, sleep, withNetnsPair } from './support/netns-pair.js';

describe('netns: arbiter with a real etcd, etcd killed', () => {
  it('the pair keeps serving, no role change; a Primary power-off is taken over through the fence delay', async () => {
    await withNetnsPair('arbiter-etcd-down', { arbiter: { members: 1 } }, async (p) => {
      const { pair, primary, secondary } = p;
      const at = <T>(i: number, a: T, b: T) => (i === 0 ? a : b);
      await p.waitFor('both daemons reach etcd and hold a lease', (a, b) =>
        [a, b].every((s) => s?.arbiter?.reachable === true && (s.arbiter.leaseLeftMs ?? 0) > 0),
      );
      expect(await p.write(primary, 20)).toBe(20);
      const startup = [p.notifications(0).length, p.notifications(1).length];
      const logged = [p.daemonLog(0).length, p.daemonLog(1).length];

      await p.etcd!.kill(0);
      await p.waitFor('both daemons see etcd unreachable', (a, b) =>
        [a, b].every((s) => s?.arbiter?.reachable === false),
      );
      // Nothing may follow from etcd alone: look again three dead times later.
      await sleep(3 * DEADTIME_MS);
      const [a, b] = await p.waitFor('status of both', () => true);
      expect(servesResource(at(primary, a, b))).toBe(true);
      expect(resourceOf(at(secondary, a, b))).toMatchObject({
        role: 'Secondary',
        disk: 'UpToDate',
        cstate: 'Connected',
      });
      for (const i of [0, 1] as const) {
        const since = p.daemonLog(i).slice(logged[i]);
        const reasons = since.map((l) => l.reason);
        for (const r of ['TAKEOVER_FENCED', 'WAIT_FENCE_DELAY']) expect(reasons).not.toContain(r);
        const roleSteps = since.filter(
          (l) => l.module === 'executor' && ['promote', 'demote', 'fence-peer'].includes(String(l.action)),
        );
        expect(roleSteps, `${pair.nodeName(i)}: executor steps after etcd died`).toEqual([]);
        const events = p
          .notifications(i)
          .slice(startup[i])
          .map((n) => n.event);
        for (const e of ['failover', 'peer-lost', 'fence-failed']) expect(events).not.toContain(e);
      }
      expect(await p.write(primary, 20)).toBe(20);

      // Failover without the arbiter: the fence delay, then STONITH, then the takeover.
      pair.powerOff(primary);
      await p.waitFor(`${pair.nodeName(secondary)} serves r0`, (x, y) => servesResource(at(secondary, x, y)));
      const reasons = p
        .daemonLog(secondary)
        .map((l) => l.reason)
        .filter((r) => r === 'WAIT_FENCE_DELAY' || r === 'TAKEOVER_FENCED');
      expect(reasons[0]).toBe('WAIT_FENCE_DELAY');
      expect(reasons).toContain('TAKEOVER_FENCED');
      expect(reasons.indexOf('WAIT_FENCE_DELAY')).toBeLessThan(reasons.indexOf('TAKEOVER_FENCED'));
      expect(p.notifications(secondary).map((n) => n.event)).toContain('failover');
      expect(await p.write(secondary, 20)).toBe(20);
      await p.checkWrites();
    });
  });
});
