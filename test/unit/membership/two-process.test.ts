import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pairLayout, SpawnedNode } from '../../support/membership-harness.js';
import type { MembershipNodeConfig } from '../../support/membership-node.js';
import { NO_FAULTS, startUdpFaultRelay, type UdpFaultRelay } from '../../support/udp-fault-relay.js';

const INTERVAL_MS = 200;
const DEADTIME_MS = 2000;
const LOSSY = { dropRate: 0.2, delayMinMs: 10, delayMaxMs: 90, duplicateRate: 0.05, reorderRate: 0.05 };

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe('two membership processes over loopback through the fault relay', () => {
  it(
    'stay up under 20% loss with 10-90 ms delay, and detect each other’s kill -9, never before the dead time',
    { timeout: 60_000 },
    async () => {
      const layout = await pairLayout(2, true, 40);
      const relay: UdpFaultRelay = await startUdpFaultRelay({
        links: layout.relay,
        seed: 6,
        faults: LOSSY,
        stopAfterMs: 60_000,
      });
      cleanup.push(() => relay.stop());
      const dirA = await mkdtemp(join(tmpdir(), 'ds-mship-a-'));
      const dirB = await mkdtemp(join(tmpdir(), 'ds-mship-b-'));
      cleanup.push(() => rm(dirA, { recursive: true, force: true }));
      cleanup.push(() => rm(dirB, { recursive: true, force: true }));
      const common = {
        cluster: 'pair',
        keyHex: 'a1'.repeat(32),
        intervalMs: INTERVAL_MS,
        warntimeMs: 1000,
        deadtimeMs: DEADTIME_MS,
        maxRunMs: 60_000,
      };
      const cfgA: MembershipNodeConfig = {
        ...common,
        node: 'alpha',
        peer: 'bravo',
        stateDir: dirA,
        links: layout.linksA,
      };
      const cfgB: MembershipNodeConfig = {
        ...common,
        node: 'bravo',
        peer: 'alpha',
        stateDir: dirB,
        links: layout.linksB,
      };
      const spawnNode = (cfg: MembershipNodeConfig): SpawnedNode => {
        const n = new SpawnedNode(cfg);
        cleanup.push(() => n.dispose());
        return n;
      };

      const a = spawnNode(cfgA);
      const b = spawnNode(cfgB);
      const readyA = await a.waitFor((l) => l.t === 'ready', 20_000, 'alpha ready');
      await b.waitFor((l) => l.t === 'ready', 20_000, 'bravo ready');
      await a.waitEvent('peer-back', 0, 10_000);
      await b.waitEvent('peer-back', 0, 10_000);

      // Lossy phase: no link may go down, the peer is never lost.
      await new Promise((r) => setTimeout(r, 6000));
      for (const n of [a, b]) {
        expect(n.events('link-down')).toEqual([]);
        expect(n.events('peer-lost')).toEqual([]);
      }
      expect(relay.stats[0]!.dropped).toBeGreaterThan(0);
      expect(relay.stats[1]!.duplicated + relay.stats[1]!.reordered).toBeGreaterThan(0);
      const countersB = (await b.counters()) as {
        rejected: Record<string, number>;
        accepted: { heartbeat: number };
      };
      // The relay's duplicates are the same datagram twice: dropped as replays, counted.
      expect(countersB.rejected.replayed).toBeGreaterThan(0);
      expect(countersB.accepted.heartbeat).toBeGreaterThan(40);

      // Kill -9 alpha on clean links: bravo notices, and never before the dead time allows (its last
      // heartbeat left at most one interval before the kill). How fast is the benchmark's business
      // (bench/membership-detection.ts): an upper bound here would only measure this machine's load.
      relay.setFaults('all', NO_FAULTS);
      await new Promise((r) => setTimeout(r, 500));
      const killedA = a.kill9();
      const lostByB = await b.waitEvent('peer-lost', killedA, 10_000);
      const latencyB = lostByB.atMs! - killedA;
      expect(latencyB).toBeGreaterThanOrEqual(DEADTIME_MS - INTERVAL_MS);

      // alpha comes back with a strictly greater incarnation (persisted in its state dir).
      const a2 = spawnNode(cfgA);
      const readyA2 = await a2.waitFor((l) => l.t === 'ready', 20_000, 'alpha ready again');
      expect(readyA2.incarnation as number).toBeGreaterThan(readyA.incarnation as number);
      await a2.waitEvent('peer-back', 0, 10_000);
      await b.waitEvent('peer-restarted', killedA, 10_000);
      await b.waitEvent('peer-back', killedA, 10_000);
      await new Promise((r) => setTimeout(r, 500));

      // Kill -9 bravo: alpha notices, not before the dead time allows.
      const killedB = b.kill9();
      const lostByA = await a2.waitEvent('peer-lost', killedB, 10_000);
      const latencyA = lostByA.atMs! - killedB;
      expect(latencyA).toBeGreaterThanOrEqual(DEADTIME_MS - INTERVAL_MS);
      console.log(
        `two-process detection latency: bravo saw alpha die after ${latencyB} ms, alpha saw bravo after ${latencyA} ms`,
      );
    },
  );
});
