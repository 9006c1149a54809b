import { describe, expect, it } from 'vitest';
import { DEADTIME_MS, resourceOf, servesResource, sleep, withNetnsPair } from './support/netns-pair.js';

describe('netns: split-brain paging', () => {
  it('both daemons freeze the resource and page split-brain; no automatic action', async () => {
    await withNetnsPair('split-brain', { fencing: 'none', allowDualPrimary: true }, async (p) => {
      const { pair, net, primary, secondary } = p;
      expect(await p.write(primary, 20)).toBe(20);
      // Every link cut; with fencing none + accept-risk the Secondary takes over on silence alone.
      net.cutLink(0);
      net.cutLink(1);
      await p.waitFor('both nodes serve r0', (a, b) => servesResource(a) && servesResource(b), 60_000);
      const ackedOn = [new Set<string>(), new Set<string>()];
      for (const i of [primary, secondary]) {
        const before = new Set(p.acked);
        expect(await p.write(i, 10)).toBe(10);
        for (const id of p.acked) if (!before.has(id)) ackedOn[i]?.add(id);
      }
      net.restoreLink(0);
      net.restoreLink(1);
      await p.waitFor(
        'both daemons freeze r0 (split-brain)',
        (a, b) => resourceOf(a)?.frozen === true && resourceOf(b)?.frozen === true,
        60_000,
      );
      for (const i of [0, 1] as const)
        await p.waitFor(
          `${pair.nodeName(i)} pages split-brain`,
          () => p.notifications(i).some((n) => n.event === 'split-brain'),
          30_000,
        );
      // No automatic action: after a while both are still StandAlone, roles unchanged, still frozen.
      await sleep(3 * DEADTIME_MS);
      const [a, b] = [await pair.status(0), await pair.status(1)];
      for (const s of [a, b]) {
        expect(resourceOf(s)).toMatchObject({ role: 'Primary', cstate: 'StandAlone', frozen: true });
        expect(s?.alerts.map((x) => x.event)).toContain('split-brain');
      }
      for (const i of [0, 1] as const) {
        const reasons = p.daemonLog(i).map((l) => l.reason);
        expect(reasons).toContain('FROZEN_SPLIT_BRAIN');
        // Each side holds what it acknowledged; the operator's recovery picks the victim.
        const held = await p.held(i);
        expect([...(ackedOn[i] ?? [])].filter((id) => !held.has(id))).toEqual([]);
      }
      expect(p.dualPrimarySamples.length).toBeGreaterThan(0);
    });
  });
});
