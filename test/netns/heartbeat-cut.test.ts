import { describe, expect, it } from 'vitest';
import { DEADTIME_MS, HEARTBEAT_PORT, resourceOf, sleep, withNetnsPair } from './support/netns-pair.js';

describe('netns: heartbeat-only cut', () => {
  it('takes no action while DRBD is still connected', async () => {
    await withNetnsPair('heartbeat-cut', {}, async (p) => {
      const { pair, net, primary, secondary } = p;
      expect(await p.write(primary, 30)).toBe(30);
      net.block({ udpPort: HEARTBEAT_PORT });
      await p.waitFor(
        'both nodes see their peer unreachable',
        (a, b) => a?.peerState.reachable === false && b?.peerState.reachable === false,
        30_000,
      );
      await sleep(3 * DEADTIME_MS);
      const [sp, ss] = [await pair.status(primary), await pair.status(secondary)];
      expect(resourceOf(sp)).toMatchObject({ role: 'Primary', cstate: 'Connected', mounted: true });
      expect(resourceOf(ss)).toMatchObject({ role: 'Secondary', disk: 'UpToDate', cstate: 'Connected' });
      for (const i of [0, 1] as const) {
        const reasons = p.daemonLog(i).map((l) => l.reason);
        expect(reasons).not.toContain('FENCE_PEER');
        expect(reasons).not.toContain('TAKEOVER_FENCED');
      }
      expect(await p.write(primary, 30)).toBe(30);
      net.unblockAll();
      await p.waitFor(
        'both nodes hear their peer again',
        (a, b) => a?.peerState.reachable === true && b?.peerState.reachable === true,
        30_000,
      );
      expect(await p.waitSteady(30_000)).toBe(primary);
      await p.checkWrites();
    });
  });
});
