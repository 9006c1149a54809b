import { describe, expect, it } from 'vitest';
import { createFenceTrace } from './support/fence-trace.js';
import { startNetnsFaultRelay, type NetnsFaultRelay } from './support/netns-fault-relay.js';
import { HEARTBEAT_PORT, REPLICATION_PORT, sleep, withNetnsPair } from './support/netns-pair.js';

/** Short replication drops; SOAK_DROPS raises it for a longer soak run by hand. */
const DROPS = Number(process.env.SOAK_DROPS ?? 24);
/** Heartbeat links as in issue 2: 20 % loss, 10-90 ms jitter, both directions. */
const LOSSY = { dropRate: 0.2, delayMinMs: 10, delayMaxMs: 90, duplicateRate: 0, reorderRate: 0 };

describe('netns: short replication drops under heartbeat loss and jitter', () => {
  it('a reachable Secondary is outdated (never fenced) on each drop, and no acknowledged write is lost', async () => {
    const trace = createFenceTrace();
    let relay: NetnsFaultRelay | null = null;
    try {
      await withNetnsPair(
        'drop-soak',
        {
          fenceHandler: trace.handler,
          intervalMs: 50,
          deadtimeMs: 600,
          beforeStart: async (net) => {
            relay = await startNetnsFaultRelay(net, HEARTBEAT_PORT, LOSSY, 17);
          },
        },
        async (p) => {
          const { pair, net, primary, secondary } = p;
          // The relay is in the path: a veth round trip is far below 1 ms, the relay's jitter is 20-180 ms.
          const status = await pair.status(primary);
          expect(status?.links.length).toBe(2);
          for (const l of status?.links ?? []) expect(l.rttMs ?? 0).toBeGreaterThan(15);
          const startedMs = Date.now();
          for (let k = 0; k < DROPS; k++) {
            expect(await p.write(primary, 5)).toBe(5);
            net.block({ tcpPort: REPLICATION_PORT });
            // Writes during the drop: acknowledged ones must survive like any other.
            const during = p.write(primary, 3);
            await sleep(1_000 + (k % 2) * 1_000);
            net.unblockAll();
            await during;
            expect(await p.waitSteady(90_000)).toBe(primary);
          }
          const answers = p
            .daemonLog(primary)
            .filter((l) => typeof l.exitCode === 'number' && String(l.msg).startsWith('fence-peer handler'))
            .map((l) => l.exitCode as number);
          const outdates = p.daemonLog(secondary).filter((l) => l.msg === 'peer asked to outdate');
          process.stdout.write(
            `drop soak: ${DROPS} drops in ${Math.round((Date.now() - startedMs) / 1000)} s; ` +
              `fence handler runs ${trace.runs().length}; fence-peer exit codes ${JSON.stringify(answers)}; ` +
              `outdate answers on the Secondary ${JSON.stringify(outdates.map((l) => l.code))}; ` +
              `slow ${p.daemonLog(primary).filter((l) => l.code === 'PEER_OUTDATE_SLOW').length}; ` +
              `shared ${p.daemonLog(primary).filter((l) => l.code === 'PEER_OUTDATE_JOINED' || l.code === 'PEER_OUTDATE_ANSWERED').length}; ` +
              `peer-lost ${p.daemonLog(primary).filter((l) => l.reason === 'PRIMARY_SURVIVOR').length}\n`,
          );
          // The healthy, reachable Secondary was never powered off.
          expect(trace.runs()).toEqual([]);
          expect(pair.running(secondary, 'daemon') && pair.running(secondary, 'drbd')).toBe(true);
          await p.checkWrites();
          const held = await p.held(secondary);
          expect([...p.acked].filter((id) => !held.has(id))).toEqual([]);
        },
      );
    } finally {
      (relay as NetnsFaultRelay | null)?.stop();
      trace.dispose();
    }
  }, 240_000);
});
