/** Scenario 8 of the netns tier: busy umount during a switchover (on-busy-umount: kill). */
import { describe, expect, it } from 'vitest';
import { resourceOf, servesResource, withNetnsPair } from './support/netns-pair.js';

describe('netns: busy umount during switchover', () => {
  it('with on-busy-umount kill the holder is ended and the switchover completes', async () => {
    await withNetnsPair('busy-switchover', {}, async (p) => {
      const { pair, primary, secondary } = p;
      const at = <T>(i: number, a: T, b: T) => (i === 0 ? a : b);
      expect(await p.write(primary, 30)).toBe(30);
      const hold = await pair.cli(primary, ['sim', 'hold', '--dir', pair.paths[primary].simDir], 30_000);
      expect(hold.status).toBe('ok');

      const sw = await pair.cli(primary, [
        '-c',
        pair.paths[primary].config,
        'switchover',
        'r0',
        '--to',
        pair.nodeName(secondary),
      ]);
      const out = sw.status === 'ok' || sw.status === 'failed' ? `${sw.stdout}${sw.stderr}` : sw.status;
      expect(sw.status, out).toBe('ok');
      await p.waitFor(
        `${pair.nodeName(secondary)} serves r0, ${pair.nodeName(primary)} is its Secondary`,
        (a, b) => servesResource(at(secondary, a, b)) && resourceOf(at(primary, a, b))?.role === 'Secondary',
        90_000,
      );
      // The umount went through only because the holder was ended (the device was busy).
      const umounts = p
        .daemonLog(primary)
        .filter((l) => l.module === 'executor' && l.action === 'umount' && l.status === 'ok');
      expect(umounts.length).toBeGreaterThan(0);
      // ...and the holder the executor ended is the one `sim hold` started (fuser listed its real PID).
      const holders = umounts.flatMap((l) => (l.holders as { command: string }[] | undefined) ?? []);
      expect(holders.map((h) => h.command)).toContain('sh');
      // The target judged the takeover request while its view still showed the releasing node Primary:
      // that waits for the view (no page), it is no refusal. Its decisions show the wait or the takeover.
      const target = p.daemonLog(secondary).map((l) => l.reason);
      expect(target).not.toContain('PEER_REQUEST_TAKEOVER_REFUSED');
      expect(target).toContain('PEER_REQUEST_TAKEOVER');
      expect(await p.write(secondary, 30)).toBe(30);
      expect(await p.waitSteady(60_000)).toBe(secondary);
      await p.checkWrites();
    });
  });
});
