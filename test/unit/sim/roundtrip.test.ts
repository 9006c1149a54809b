/**
 * The simulator's output read back by the DRBD layer's own parsers (src/drbd): every /proc/drbd
 * text and every events2 line a randomized run produces must parse, and the parsed state must be
 * the model's state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvents2Line } from '../../../src/drbd/events2.js';
import { parseProcDrbd } from '../../../src/drbd/proc-drbd.js';
import { SimCluster } from '../../../src/sim/cluster.js';

const step = fc.oneof(
  fc.constant(['cut']),
  fc.constant(['restore']),
  fc.constant(['crash']),
  fc.constant(['boot']),
  fc.constant(['write']),
  fc.constantFrom(
    ['drbdadm', 'primary', 'r0'],
    ['drbdadm', 'secondary', 'r0'],
    ['drbdadm', 'disconnect', 'r0'],
  ),
  fc.constantFrom(
    ['drbdadm', 'connect', 'r0'],
    ['drbdadm', 'outdate', 'r0'],
    ['drbdadm', 'primary', '--force', 'r0'],
  ),
  fc.constantFrom(
    ['drbdadm', 'detach', 'r0'],
    ['drbdadm', 'attach', 'r0'],
    ['drbdadm', 'down', 'r0'],
    ['drbdadm', 'up', 'r0'],
  ),
);

describe('simulator output round-trips through the DRBD parsers', () => {
  it('every /proc/drbd and events2 line parses to the model state', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(fc.tuple(fc.constantFrom('alpha', 'bravo'), step, fc.integer({ min: 0, max: 5000 })), {
          maxLength: 25,
        }),
        async (seed, ops) => {
          const c = new SimCluster({
            seed,
            initial: seed % 3 === 0 ? 'new' : 'uptodate',
            config: { sizeKiB: 8192 },
          });
          await c.advance(2500);
          const check = () => {
            for (const name of c.names) {
              const n = c.node(name);
              const text = c.procDrbd(name);
              const parsed = parseProcDrbd(text);
              if (!parsed.ok)
                throw new Error(`unparsable /proc/drbd:\n${text}\n${JSON.stringify(parsed.error)}`);
              const devs = parsed.value.devices;
              if (!n.powered || !n.up) {
                expect(devs).toHaveLength(0);
                continue;
              }
              expect(devs).toHaveLength(1);
              const d = devs[0];
              expect(d?.cstate).toBe(n.cstate);
              expect(d?.role).toBe(n.role);
              expect(d?.disk).toBe(n.disk);
              expect(d?.peerDisk).toBe(n.peerDisk);
              expect(d?.suspended).toBe(n.suspended);
              expect(d?.outOfSyncKiB).toBe(n.oosKiB());
            }
          };
          for (const [name, op, waitMs] of ops) {
            if (op[0] === 'cut') c.cutLink();
            else if (op[0] === 'restore') c.restoreLink();
            else if (op[0] === 'crash') c.crash(name);
            else if (op[0] === 'boot') c.powerOn(name, true);
            else if (op[0] === 'write') c.write(name, 3);
            else await c.exec(name, op);
            await c.advance(waitMs);
            check();
          }
          for (const name of c.names)
            for (const opts of [
              { timestamps: false, statistics: false },
              { timestamps: true, statistics: true },
            ])
              for (const line of [...c.events2Log(name, opts), ...c.events2Now(name, opts)]) {
                const p = parseEvents2Line(line);
                if (!p.ok) throw new Error(`unparsable events2 line: ${line}: ${JSON.stringify(p.error)}`);
              }
        },
      ),
      { numRuns: 40 },
    );
  });
});
