import { describe, expect, it } from 'vitest';
import type { NetnsPair, NetnsPairOptions } from './support/netns-pair.js';
import { resourceOf, withNetnsPair } from './support/netns-pair.js';

/** Power-off of the Primary with a fence handler that cannot succeed: no takeover, a page, retries. */
async function noTakeoverWithoutFence(p: NetnsPair): Promise<void> {
  const { pair, primary, secondary } = p;
  const at = <T>(i: number, a: T, b: T) => (i === 0 ? a : b);
  expect(await p.write(primary, 30)).toBe(30);
  pair.powerOff(primary);
  await p.waitFor(
    `${pair.nodeName(secondary)} pages fence-failed`,
    () => p.notifications(secondary).some((n) => n.event === 'fence-failed'),
    60_000,
  );
  const fenceAttempts = () =>
    p.daemonLog(secondary).filter((l) => l.module === 'executor' && l.action === 'fence-peer').length;
  await p.waitFor(`${pair.nodeName(secondary)} retries the fence`, () => fenceAttempts() >= 2, 60_000);
  const [a, b] = await p.waitFor('status of the survivor', (x, y) => at(secondary, x, y) !== null, 10_000);
  const r = resourceOf(at(secondary, a, b));
  expect(r?.role).toBe('Secondary');
  expect(r?.mounted).toBe(false);
  const reasons = p.daemonLog(secondary).map((l) => l.reason);
  expect(reasons).not.toContain('TAKEOVER_FENCED');
  expect(reasons).toContain('FENCE_FAILED_BACKOFF');
  expect(
    p
      .daemonLog(secondary)
      .filter((l) => l.module === 'executor' && l.action === 'fence-peer')
      .every((l) => l.status !== 'ok'),
  ).toBe(true);
  // Nobody serves r0 now; the survivor's disk still holds every acknowledged write for a later takeover.
  const held = await p.held(secondary);
  expect([...p.acked].filter((id) => !held.has(id))).toEqual([]);
}

describe('netns: fence handler failure and timeout', () => {
  const failing: NetnsPairOptions = { fenceHandler: { command: ['/bin/false'], timeout: '5s' } };
  const hanging: NetnsPairOptions = { fenceHandler: { command: ['/bin/sleep', '60'], timeout: '1s' } };

  it('a failing fence handler: the survivor does not take over, pages fence-failed and retries', async () => {
    await withNetnsPair('fence-fails', failing, noTakeoverWithoutFence);
  });

  it('a fence handler that outlives its timeout: the same', async () => {
    await withNetnsPair('fence-hangs', hanging, noTakeoverWithoutFence);
  });
});
