import { describe, expect, it } from 'vitest';
import { servesResource, withNetnsPair } from './support/netns-pair.js';

describe('netns: power-off of the primary node', () => {
  it('the survivor fences and takes over without losing an acknowledged write', async () => {
    await withNetnsPair('power-off', {}, async (p) => {
      expect(await p.write(p.primary, 50)).toBe(50);
      p.pair.powerOff(p.primary);
      await p.waitFor(
        `${p.pair.nodeName(p.secondary)} serves r0`,
        (a, b) => servesResource(p.secondary === 0 ? a : b),
        60_000,
      );
      const reasons = p.daemonLog(p.secondary).map((l) => l.reason);
      expect(reasons).toContain('TAKEOVER_FENCED');
      expect(p.notifications(p.secondary).map((n) => n.event)).toContain('failover');
      expect(await p.write(p.secondary, 20)).toBe(20);
      await p.checkWrites();
    });
  });
});
