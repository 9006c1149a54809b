import { describe, expect, it } from 'vitest';
import { DEADTIME_MS, resourceOf, servesResource, sleep, withNetnsPair } from './support/netns-pair.js';

describe('netns: SIGSTOP of the primary', () => {
  it('a frozen daemon (shorter or longer than deadtime) causes no failover; a frozen node is fenced and replaced', async () => {
    await withNetnsPair('sigstop', {}, async (p) => {
      const { pair, primary, secondary } = p;
      const at = <T>(i: number, a: T, b: T) => (i === 0 ? a : b);
      expect(await p.write(primary, 20)).toBe(20);

      // Daemon frozen for less than deadtime.
      pair.signal(primary, 'daemon', 'SIGSTOP');
      await sleep(DEADTIME_MS / 2);
      pair.signal(primary, 'daemon', 'SIGCONT');
      expect(await p.waitSteady(30_000)).toBe(primary);

      // Daemon frozen for more than deadtime: the peer loses its heartbeats, DRBD stays connected.
      pair.signal(primary, 'daemon', 'SIGSTOP');
      await p.waitFor(
        `${pair.nodeName(secondary)} sees its peer unreachable`,
        (a, b) => at(secondary, a, b)?.peerState.reachable === false,
        30_000,
      );
      await sleep(3 * DEADTIME_MS);
      const r = resourceOf(await pair.status(secondary));
      expect(r?.role).toBe('Secondary');
      expect(r?.cstate).toBe('Connected');
      expect(await p.write(primary, 20)).toBe(20);
      pair.signal(primary, 'daemon', 'SIGCONT');
      expect(await p.waitSteady(30_000)).toBe(primary);
      expect(p.daemonLog(secondary).map((l) => l.reason)).not.toContain('TAKEOVER_FENCED');
      expect(await p.write(primary, 20)).toBe(20);

      // The whole node frozen (daemon and DRBD): DRBD's ping timeout disconnects, the survivor fences
      // (SIGKILL of the stopped processes) and takes over.
      pair.signal(primary, 'daemon', 'SIGSTOP');
      pair.signal(primary, 'drbd', 'SIGSTOP');
      await p.waitFor(
        `${pair.nodeName(secondary)} serves r0`,
        (a, b) => servesResource(at(secondary, a, b)),
        60_000,
      );
      expect(pair.running(primary, 'drbd')).toBe(false);
      expect(pair.running(primary, 'daemon')).toBe(false);
      expect(p.daemonLog(secondary).map((l) => l.reason)).toContain('TAKEOVER_FENCED');
      expect(await p.write(secondary, 20)).toBe(20);
      await p.checkWrites();
    });
  });
});
