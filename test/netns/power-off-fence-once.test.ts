import { describe, expect, it } from 'vitest';
import { createFenceTrace } from './support/fence-trace.js';
import { resourceOf, servesResource, withNetnsPair, type NodeIndex } from './support/netns-pair.js';

/** Both fence paths (the engine's action, DRBD's fence-peer handler) get their turn within this. */
const SETTLE_MS = 4_000;

describe('netns: one STONITH per loss episode', () => {
  it("power-off of the Primary's node: the survivor runs its fence handler exactly once", async () => {
    const trace = createFenceTrace();
    try {
      await withNetnsPair('fence-once-primary', { fenceHandler: trace.handler }, async (p) => {
        const { pair, primary, secondary } = p;
        expect(await p.write(primary, 30)).toBe(30);
        pair.powerOff(primary);
        await p.waitFor(
          `${pair.nodeName(secondary)} serves r0`,
          (a, b) => servesResource(secondary === 0 ? a : b),
          60_000,
        );
        expect(await p.write(secondary, 10)).toBe(10);
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        expect(trace.runs().map((r) => r.node)).toEqual([pair.nodeName(secondary)]);
        await p.checkWrites();
      });
    } finally {
      trace.dispose();
    }
  });

  it("power-off of the Secondary's node: the Primary's engine and its DRBD handler share one fence run", async () => {
    const trace = createFenceTrace();
    try {
      await withNetnsPair('fence-once-secondary', { fenceHandler: trace.handler }, async (p) => {
        const { pair, primary, secondary } = p;
        expect(await p.write(primary, 30)).toBe(30);
        pair.powerOff(secondary);
        const at = (i: NodeIndex, a: unknown, b: unknown) => (i === 0 ? a : b);
        await p.waitFor(`${pair.nodeName(primary)} fenced its peer`, () => trace.runs().length > 0, 60_000);
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        expect(trace.runs().map((r) => r.node)).toEqual([pair.nodeName(primary)]);
        const [a, b] = await p.waitFor('the Primary answers', (x, y) => at(primary, x, y) !== null, 10_000);
        expect(resourceOf(at(primary, a, b) as Parameters<typeof resourceOf>[0])?.role).toBe('Primary');
        expect(await p.write(primary, 10)).toBe(10);
        await p.checkWrites();
      });
    } finally {
      trace.dispose();
    }
  });
});
