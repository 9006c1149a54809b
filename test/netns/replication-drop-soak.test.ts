import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createFenceTrace } from './support/fence-trace.js';
import { startNetnsFaultRelay, type NetnsFaultRelay } from './support/netns-fault-relay.js';
import { HEARTBEAT_PORT, REPLICATION_PORT, sleep, withNetnsPair } from './support/netns-pair.js';

/** Short replication drops; SOAK_DROPS raises it for a longer soak run by hand (the timeout scales with it). */
const DROPS = Number(process.env.SOAK_DROPS ?? 24);
/** SOAK_RESULT=FILE writes the run's figures there (bench/results/replication-drop-soak.json by hand). */
const RESULT_FILE = process.env.SOAK_RESULT;
/** Heartbeat links as in issue 2: 20 % loss, 10-90 ms jitter, both directions. */
/** How often each value occurs: `{ "4": 39 }`. */
const tally = (xs: readonly (string | number)[]) =>
  Object.fromEntries([...new Set(xs)].map((x) => [String(x), xs.filter((y) => y === x).length]));
const LOSSY = { dropRate: 0.2, delayMinMs: 10, delayMaxMs: 90, duplicateRate: 0, reorderRate: 0 };

describe('netns: short replication drops under heartbeat loss and jitter', () => {
  it(
    'a reachable Secondary is outdated (never fenced) on each drop, and no acknowledged write is lost',
    async () => {
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
            const loadBefore = loadavg()[0];
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
            const durationS = Math.round((Date.now() - startedMs) / 1000);
            const [onPrimary, onSecondary] = [await p.held(primary), await p.held(secondary)];
            const lost = (held: Set<string>) => [...p.acked].filter((id) => !held.has(id));
            if (RESULT_FILE !== undefined)
              writeFileSync(
                RESULT_FILE,
                `${JSON.stringify(
                  {
                    test: 'test/netns/replication-drop-soak.test.ts',
                    date: new Date().toISOString(),
                    machine: {
                      cpus: cpus().length,
                      loadavg1mBefore: loadBefore,
                      loadavg1mAfter: loadavg()[0],
                    },
                    heartbeat: { intervalMs: 50, deadtimeMs: 600, links: 2, ...LOSSY },
                    drops: DROPS,
                    durationS,
                    fenceHandlerRuns: trace.runs().length,
                    // Only drops DRBD noticed ran its fence-peer handler (exit 4: the peer was outdated).
                    fencePeerExitCodes: tally(answers),
                    outdateAnswersOnSecondary: tally(outdates.map((l) => String(l.code))),
                    acknowledgedWrites: p.acked.size,
                    lostWritesOnPrimary: lost(onPrimary).length,
                    lostWritesOnSecondary: lost(onSecondary).length,
                  },
                  null,
                  2,
                )}\n`,
              );
            // The healthy, reachable Secondary was never powered off.
            expect(trace.runs()).toEqual([]);
            expect(pair.running(secondary, 'daemon') && pair.running(secondary, 'drbd')).toBe(true);
            await p.checkWrites();
            expect(lost(onSecondary)).toEqual([]);
          },
        );
      } finally {
        (relay as NetnsFaultRelay | null)?.stop();
        trace.dispose();
      }
    },
    240_000 * Math.max(1, DROPS / 24),
  );
});
