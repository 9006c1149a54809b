import { describe, expect, it } from 'vitest';
import { DEADTIME_MS, resourceOf, sleep, withNetnsPair } from './support/netns-pair.js';

describe('netns: kill -9 of the primary daemon alone', () => {
  it('no failover while DRBD stays connected; the restarted daemon finds the steady state again', async () => {
    await withNetnsPair('daemon-kill', {}, async (p) => {
      const { pair, primary, secondary } = p;
      const at = <T>(i: number, a: T, b: T) => (i === 0 ? a : b);
      expect(await p.write(primary, 30)).toBe(30);
      pair.signal(primary, 'daemon', 'SIGKILL');
      await pair.exited(primary, 'daemon');
      // The survivor loses the peer daemon's heartbeats, but DRBD still shows a connected Primary peer.
      await p.waitFor(
        `${pair.nodeName(secondary)} sees its peer unreachable`,
        (a, b) => at(secondary, a, b)?.peerState.reachable === false,
        30_000,
      );
      await sleep(3 * DEADTIME_MS);
      const s = await pair.status(secondary);
      const r = resourceOf(s);
      expect(r?.role).toBe('Secondary');
      expect(r?.peerRole).toBe('Primary');
      expect(r?.cstate).toBe('Connected');
      expect(s?.lastDecision?.reason).toMatch(/^HOLD_/);
      expect(p.daemonLog(secondary).map((l) => l.reason)).not.toContain('TAKEOVER_FENCED');
      // DRBD on the old Primary goes on serving the application.
      expect(await p.write(primary, 30)).toBe(30);

      pair.startDaemon(primary);
      expect(await p.waitSteady(60_000)).toBe(primary);
      await p.checkWrites();
    });
  });
});
