import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimCluster, type SimClusterOptions } from '../../../src/sim/cluster.js';

type NodeName = 'alpha' | 'bravo';
type Op =
  | { readonly k: 'advance'; readonly ms: number }
  | { readonly k: 'cut' }
  | { readonly k: 'restore' }
  | { readonly k: 'delay'; readonly ms: number }
  | { readonly k: 'write'; readonly n: NodeName; readonly count: number }
  | { readonly k: 'promote'; readonly n: NodeName }
  | { readonly k: 'demote'; readonly n: NodeName }
  | { readonly k: 'disconnect'; readonly n: NodeName }
  | { readonly k: 'connect'; readonly n: NodeName }
  | { readonly k: 'crash'; readonly n: NodeName }
  | { readonly k: 'boot'; readonly n: NodeName }
  | { readonly k: 'freeze'; readonly n: NodeName }
  | { readonly k: 'thaw'; readonly n: NodeName };

const nodeArb = fc.constantFrom<NodeName>('alpha', 'bravo');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 8000 }).map((ms) => ({ k: 'advance' as const, ms })) },
  { weight: 2, arbitrary: fc.constant({ k: 'cut' as const }) },
  { weight: 2, arbitrary: fc.constant({ k: 'restore' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 400 }).map((ms) => ({ k: 'delay' as const, ms })) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('write' as const),
      n: nodeArb,
      count: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('promote' as const), n: nodeArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('demote' as const), n: nodeArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('disconnect' as const), n: nodeArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('connect' as const), n: nodeArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('crash' as const), n: nodeArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('boot' as const), n: nodeArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('freeze' as const), n: nodeArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('thaw' as const), n: nodeArb }) },
);

const other = (n: string): NodeName => (n === 'alpha' ? 'bravo' : 'alpha');

/** A dopd-style fence handler following the model's rules: outdate the peer out of band. */
function dopdHandler(get: () => SimCluster): NonNullable<SimClusterOptions['fencePeer']> {
  return async (name) => {
    const c = get();
    const peer = c.node(other(name));
    if (!peer.powered) {
      peer.forceOutdate();
      return 7;
    }
    if (peer.role === 'Primary') return 6;
    return peer.forceOutdate() ? 4 : 1;
  };
}

async function apply(c: SimCluster, op: Op, after: () => void): Promise<void> {
  switch (op.k) {
    case 'advance':
      for (let t = 0; t < op.ms; t += 100) {
        await c.advance(Math.min(100, op.ms - t));
        after();
      }
      return;
    case 'cut':
      c.cutLink();
      return;
    case 'restore':
      c.restoreLink();
      return;
    case 'delay':
      c.setLinkDelay(op.ms);
      return;
    case 'write':
      if (c.node(op.n).isFrozen) return;
      c.write(op.n, op.count);
      return;
    case 'promote':
      if (c.node(op.n).isFrozen) return; // a frozen machine runs no commands
      await c.exec(op.n, ['drbdadm', 'primary', 'r0']);
      return;
    case 'demote':
      if (c.node(op.n).isFrozen) return;
      await c.exec(op.n, ['drbdadm', 'secondary', 'r0']);
      return;
    case 'disconnect':
      if (c.node(op.n).isFrozen) return;
      await c.exec(op.n, ['drbdadm', 'disconnect', 'r0']);
      return;
    case 'connect':
      if (c.node(op.n).isFrozen) return;
      await c.exec(op.n, ['drbdadm', 'connect', 'r0']);
      return;
    case 'crash':
      c.crash(op.n);
      return;
    case 'boot':
      if (!c.node(op.n).powered) c.powerOn(op.n, true);
      return;
    case 'freeze':
      c.freeze(op.n);
      return;
    case 'thaw':
      c.thaw(op.n);
      return;
  }
}

function noTwoConnectedPrimaries(c: SimCluster): void {
  const a = c.node('alpha');
  const b = c.node('bravo');
  const bad = a.powered && b.powered && a.linked && b.linked && a.role === 'Primary' && b.role === 'Primary';
  if (bad) throw new Error(`two connected Primaries at ${c.clock.nowMs()} ms`);
}

/** Heals everything: power, link, DRBD up and connected; then waits for resyncs to finish. */
async function heal(c: SimCluster): Promise<void> {
  c.restoreLink();
  c.setLinkDelay(1);
  for (const n of ['alpha', 'bravo'] as const) c.thaw(n);
  for (const n of ['alpha', 'bravo'] as const) {
    if (!c.node(n).powered) c.powerOn(n, true);
    await c.exec(n, ['drbdadm', 'adjust', 'r0']);
  }
  await c.advance(60_000);
}

/** A pair with resource-and-stonith and the dopd-style handler, alpha promoted after the first connect. */
async function fencedPairAlphaPrimary(seed: number): Promise<SimCluster> {
  let cluster: SimCluster | null = null;
  const c = new SimCluster({
    seed,
    config: { fencing: 'resource-and-stonith' },
    fencePeer: dopdHandler(() => {
      if (!cluster) throw new Error('cluster not built');
      return cluster;
    }),
  });
  cluster = c;
  await c.advance(3000);
  await c.exec('alpha', ['drbdadm', 'primary', 'r0']);
  return c;
}

describe('model invariants (fast-check)', () => {
  it('never two connected Primaries without allow-two-primaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(opArb, { maxLength: 40 }),
        async (seed, ops) => {
          const c = new SimCluster({ seed });
          await c.advance(3000);
          for (const op of ops) {
            await apply(c, op, () => noTwoConnectedPrimaries(c));
            noTwoConnectedPrimaries(c);
          }
          await heal(c);
          noTwoConnectedPrimaries(c);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('split-brain is detected by the UUID rules when both sides wrote while disconnected', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom('none', 'alpha', 'bravo'),
        fc.integer({ min: 0, max: 300 }),
        async (seed, wa, wb, demoteFirst, delay) => {
          const c = new SimCluster({ seed, linkDelayMs: delay });
          await c.advance(3000);
          expect((await c.exec('alpha', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(0);
          c.cutLink();
          await c.advance(5000);
          expect((await c.exec('bravo', ['drbdadm', 'primary', 'r0'])).exitCode).toBe(0);
          expect((await c.writeAndSettle('alpha', wa)).acked.every((x) => x === true)).toBe(true);
          expect((await c.writeAndSettle('bravo', wb)).acked.every((x) => x === true)).toBe(true);
          if (demoteFirst !== 'none') await c.exec(demoteFirst, ['drbdadm', 'secondary', 'r0']);
          c.restoreLink();
          await c.advance(10_000);
          for (const n of ['alpha', 'bravo'] as const) {
            expect(c.node(n).cstate).toBe('StandAlone');
            expect(c.node(n).kernelLog).toContain(
              'Split-Brain detected but unresolved, dropping connection!',
            );
          }
          expect(c.checkWrites().concurrentPrimaryWrites.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('no acknowledged write is lost and no two Primaries write at once when fencing rules are followed', async () => {
    const stats = { runs: 0, acked: 0, promotions: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(opArb, { minLength: 10, maxLength: 50 }),
        async (seed, ops) => {
          const c = await fencedPairAlphaPrimary(seed);
          for (const op of ops) await apply(c, op, () => undefined);
          await heal(c);
          const verdict = c.checkWrites();
          stats.runs++;
          stats.acked += verdict.acknowledged;
          stats.promotions += c.checker.entries.filter(
            (e) => e.kind === 'role' && e.role === 'Primary',
          ).length;
          if (!verdict.ok) throw new Error(`seed ${seed}: ${JSON.stringify(verdict).slice(0, 600)}`);
        },
      ),
      { numRuns: 150 },
    );
    // The property must exercise writes and failovers, not pass vacuously.
    expect(stats.acked).toBeGreaterThan(stats.runs);
    // Promotions beyond the initial one per run are failovers / switchovers.
    expect(stats.promotions - stats.runs).toBeGreaterThan(stats.runs / 10);
    console.log(`write-safety property: ${JSON.stringify(stats)}`);
  });

  it('a crash, the peer promoted and its write in the same simulated millisecond are not two Primaries (fast-check counterexample)', async () => {
    // Found by the property above (fast-check seed -873858578): the write checker compared Primary
    // tenures by milliseconds, so alpha's tenure ending with its crash and bravo's starting at the same
    // millisecond overlapped, and their writes counted as concurrent. Tenures now follow the event order.
    const c = await fencedPairAlphaPrimary(1);
    const ops: Op[] = [
      { k: 'cut' },
      { k: 'disconnect', n: 'alpha' },
      { k: 'write', n: 'alpha', count: 1 },
      { k: 'crash', n: 'alpha' },
      { k: 'freeze', n: 'alpha' },
      { k: 'cut' },
      { k: 'restore' },
      { k: 'demote', n: 'alpha' },
      { k: 'boot', n: 'alpha' },
      { k: 'restore' },
      { k: 'promote', n: 'bravo' },
      { k: 'write', n: 'bravo', count: 1 },
      { k: 'restore' },
      { k: 'boot', n: 'alpha' },
    ];
    for (const op of ops) await apply(c, op, () => undefined);
    await heal(c);
    const verdict = c.checkWrites();
    expect(verdict.concurrentPrimaryWrites).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('is deterministic per seed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(opArb, { maxLength: 25 }),
        async (seed, ops) => {
          const run = async () => {
            const c = new SimCluster({ seed });
            await c.advance(3000);
            for (const op of ops) await apply(c, op, () => undefined);
            const opts = { timestamps: true, statistics: true };
            return JSON.stringify([
              c.events2Log('alpha', opts),
              c.events2Log('bravo', opts),
              c.procDrbd('alpha'),
              c.procDrbd('bravo'),
              c.node('alpha').metadata(),
              c.node('bravo').metadata(),
            ]);
          };
          expect(await run()).toBe(await run());
        },
      ),
      { numRuns: 20 },
    );
  });
});
