import { describe, expect, it } from 'vitest';
import { REPLICATION_PORT, resourceOf, servesResource, withNetnsPair } from './support/netns-pair.js';

describe('netns: replication-only cut', () => {
  it("the Primary has the Secondary's disk outdated over the heartbeat links; resync and unfence on restore", async () => {
    await withNetnsPair('replication-cut', { deadtimeMs: 3_000 }, async (p) => {
      const { pair, net, primary, secondary } = p;
      const at = <T>(i: number, a: T, b: T) => (i === 0 ? a : b);
      expect(await p.write(primary, 30)).toBe(30);
      net.block({ tcpPort: REPLICATION_PORT });
      await p.waitFor(
        `${pair.nodeName(secondary)}'s disk Outdated, ${pair.nodeName(primary)} serving alone`,
        (a, b) =>
          resourceOf(at(secondary, a, b))?.disk === 'Outdated' &&
          resourceOf(at(secondary, a, b))?.role === 'Secondary' &&
          servesResource(at(primary, a, b)) &&
          at(secondary, a, b)?.peerState.reachable === true,
        60_000,
      );
      expect(await p.write(primary, 30)).toBe(30);
      expect(resourceOf(await pair.status(secondary))?.role).toBe('Secondary');

      // Resource-level fencing only: the Secondary's node was not powered off.
      expect(pair.running(secondary, 'daemon') && pair.running(secondary, 'drbd')).toBe(true);
      expect(p.daemonLog(secondary).map((l) => l.reason)).not.toContain('TAKEOVER_FENCED');

      net.unblockAll();
      expect(await p.waitSteady(90_000)).toBe(primary);
      // Unfenced: the Primary saw its peer resynced and dropped the outdate mark.
      await p.waitFor(
        `${pair.nodeName(primary)} unfences its peer`,
        () => p.daemonLog(primary).some((l) => l.reason === 'PEER_RESYNCED_UNFENCED'),
        30_000,
      );
      await p.checkWrites();
      // The resynced Secondary holds every acknowledged write too.
      const held = await p.held(secondary);
      expect([...p.acked].filter((id) => !held.has(id))).toEqual([]);
    });
  });
});
