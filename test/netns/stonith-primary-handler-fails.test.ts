/**
 * Issue 12, finding 1: both links cut while the Primary's fence handler fails, and the Primary keeps
 * receiving writes. Under `fencing.policy: stonith` only DRBD's `fencing resource-and-stonith` keeps the
 * old Primary from acknowledging writes the survivor lacks; with `resource-only` the old build fenced the
 * Primary, promoted the Secondary and lost every write the Primary acknowledged after the cut.
 */
import { describe, expect, it } from 'vitest';
import { createFenceTrace } from './support/fence-trace.js';
import { resourceOf, servesResource, withNetnsPair, type NetnsPair } from './support/netns-pair.js';

/** How long the Primary is written to after the cut: the Secondary's fence delay (1 s) and more. */
const WRITE_WINDOW_MS = 6_000;

/** Writes in small batches on the Primary until the window ends or the node is gone; returns the acks. */
async function writeOnPrimary(p: NetnsPair): Promise<number> {
  const until = Date.now() + WRITE_WINDOW_MS;
  let acked = 0;
  while (Date.now() < until && p.pair.running(p.primary, 'drbd')) acked += await p.write(p.primary, 5, 300);
  return acked;
}

describe('netns: every link cut while the Primary cannot fence (stonith policy)', () => {
  it('with DRBD resource-and-stonith the Primary acknowledges nothing alone; the survivor takes over and loses no write', async () => {
    const trace = createFenceTrace();
    try {
      await withNetnsPair('stonith-io-frozen', { fenceHandler: trace.handler }, async (p) => {
        const { pair, net, primary, secondary } = p;
        expect(await p.write(primary, 30)).toBe(30);
        trace.failOn(pair.nodeName(primary));
        net.cutLink(0);
        net.cutLink(1);
        const ackedAfterCut = await writeOnPrimary(p);
        await p.waitFor(
          `${pair.nodeName(secondary)} serves r0`,
          (a, b) => servesResource(secondary === 0 ? a : b),
          60_000,
        );
        expect(pair.running(primary, 'drbd')).toBe(false);
        expect(p.daemonLog(secondary).map((l) => l.reason)).toContain('TAKEOVER_FENCED');
        // The freeze: whatever the Primary acknowledged after the cut is few and on the survivor's disk.
        await p.checkWrites();
        expect(ackedAfterCut).toBeLessThanOrEqual(p.acked.size - 30);

        net.restoreLink(0);
        net.restoreLink(1);
        pair.startDrbd(primary);
        pair.startDaemon(primary);
        expect(await p.waitSteady(90_000)).toBe(secondary);
        await p.checkWrites();
      });
    } finally {
      trace.dispose();
    }
  });

  it('with DRBD resource-only the Secondary refuses to fence and promote, pages, and the Primary keeps its writes', async () => {
    const trace = createFenceTrace();
    try {
      await withNetnsPair(
        'stonith-io-not-frozen',
        { fenceHandler: trace.handler, drbdFencing: 'resource-only' },
        async (p) => {
          const { pair, net, primary, secondary } = p;
          expect(await p.write(primary, 30)).toBe(30);
          trace.failOn(pair.nodeName(primary));
          net.cutLink(0);
          net.cutLink(1);
          // resource-only: the failed handler lets the Primary write on alone, which is what made the
          // takeover lose acknowledged writes.
          expect(await writeOnPrimary(p)).toBeGreaterThan(0);
          await p.waitFor(
            `${pair.nodeName(secondary)} pages the refusal`,
            () =>
              p
                .notifications(secondary)
                .some((n) => n.event === 'refused' && n.reason === 'REFUSE_PEER_IO_NOT_FROZEN'),
            30_000,
          );
          const [a, b] = await p.waitFor('both answer', (x, y) => x !== null && y !== null, 10_000);
          expect(resourceOf(secondary === 0 ? a : b)?.role).toBe('Secondary');
          expect(servesResource(primary === 0 ? a : b)).toBe(true);
          expect(trace.runs().map((r) => r.node)).not.toContain(pair.nodeName(secondary));

          net.restoreLink(0);
          net.restoreLink(1);
          expect(await p.waitSteady(90_000)).toBe(primary);
          await p.checkWrites();
        },
      );
    } finally {
      trace.dispose();
    }
  });
});
