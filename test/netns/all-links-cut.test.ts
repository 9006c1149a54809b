import { describe, expect, it } from 'vitest';
import { servesResource, withNetnsPair } from './support/netns-pair.js';

describe('netns: every link cut', () => {
  it('the Primary wins the fence race and keeps the resource; no acknowledged write is lost', async () => {
    await withNetnsPair('all-links-cut', {}, async (p) => {
      const { pair, net, primary, secondary } = p;
      const at = <T>(i: number, a: T, b: T) => (i === 0 ? a : b);
      expect(await p.write(primary, 30)).toBe(30);
      net.cutLink(0);
      net.cutLink(1);
      // The Primary fences at once (STONITH of the Secondary's node); the Secondary was still in its fence delay.
      const until = Date.now() + 60_000;
      while (pair.running(secondary, 'daemon') || pair.running(secondary, 'drbd')) {
        if (Date.now() > until) throw new Error(`${pair.nodeName(secondary)} was not fenced`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await p.waitFor(
        `${pair.nodeName(primary)} still serves r0`,
        (a, b) => servesResource(at(primary, a, b)),
        30_000,
      );
      expect(p.daemonLog(secondary).map((l) => l.reason)).not.toContain('TAKEOVER_FENCED');
      // The fenced node is powered on again only once the Primary's engine has its fence proof (else the
      // Primary's own fence, decided on the same silence, would power the restarted node off again).
      await p.waitFor(
        `${pair.nodeName(primary)}'s engine fenced its peer`,
        () =>
          p
            .daemonLog(primary)
            .some((l) => l.module === 'executor' && l.action === 'fence-peer' && l.status === 'ok'),
        30_000,
      );
      expect(await p.write(primary, 30)).toBe(30);

      // Restore: the fenced node is powered on again and rejoins as Secondary.
      net.restoreLink(0);
      net.restoreLink(1);
      pair.startDrbd(secondary);
      pair.startDaemon(secondary);
      expect(await p.waitSteady(90_000)).toBe(primary);
      await p.checkWrites();
    });
  });
});
