/**
 * Properties of runPlan over random worlds and random plans (fast-check): the safety preconditions
 * hold at the moment each mutating call is made, the plan stops at the first failure, and a plan
 * that succeeded changes nothing when it runs again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONNECTION_STATES, DISK_STATES, type DiskState } from '../../../src/drbd/types.js';
import type { Action } from '../../../src/engine/plan.js';
import type { ExecutorContext } from '../../../src/executor/context.js';
import { runPlan } from '../../../src/executor/run-plan.js';
import { context, FakeWorld } from './fakes.js';

const IDEMPOTENT_KINDS = [
  'promote',
  'fsck',
  'mount',
  'start-services',
  'add-addresses',
  'remove-addresses',
  'stop-services',
  'umount',
  'demote',
  'outdate-local',
  'connect',
] as const;

const worldArb = fc.record({
  role: fc.constantFrom('Primary', 'Secondary', 'Unknown' as const),
  peerRole: fc.constantFrom('Primary', 'Secondary', 'Unknown' as const),
  disk: fc.constantFrom(...DISK_STATES),
  cstate: fc.constantFrom(...CONNECTION_STATES),
  mounted: fc.boolean(),
  db: fc.boolean(),
  web: fc.boolean(),
  address: fc.boolean(),
});

const planArb = fc.array(fc.constantFrom(...IDEMPOTENT_KINDS), { maxLength: 8 });

type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

function build(w: World): { world: FakeWorld; ctx: ExecutorContext; violations: string[] } {
  const world = new FakeWorld();
  world.drbd.r0 = {
    role: w.role,
    peerRole: w.peerRole,
    disks: [w.disk],
    peerDisks: ['DUnknown'],
    cstate: w.cstate,
  };
  if (w.mounted) world.mounts.add('/dev/r0@/srv/r0');
  if (w.db) world.activeServices.add('db.service');
  if (w.web) world.activeServices.add('web.service');
  if (w.address) world.addresses.add('10.0.0.50/24@eth0');
  const base = context(world);
  const violations: string[] = [];
  const st = () => world.drbd.r0!;
  const mounted = () => world.mounts.has('/dev/r0@/srv/r0');
  // Check each safety precondition against the true state at the moment of the call.
  const ctx: ExecutorContext = {
    ...base,
    drbd: {
      ...base.drbd,
      primary: (r, o) => {
        const uptodate = st().disks.every((d: DiskState) => d === 'UpToDate');
        if (!uptodate || st().peerRole === 'Primary')
          violations.push(`primary with ${st().disks} / peer ${st().peerRole}`);
        return base.drbd.primary(r, o);
      },
    },
    system: {
      ...base.system,
      mount: (...args) => {
        if (st().role !== 'Primary') violations.push(`mount while ${st().role}`);
        return base.system.mount(...args);
      },
      fsck: (...args) => {
        if (mounted()) violations.push('fsck of a mounted file system');
        return base.system.fsck(...args);
      },
      startService: (...args) => {
        if (!mounted()) violations.push('service started without the mount');
        return base.system.startService(...args);
      },
    },
  };
  return { world, ctx, violations };
}

describe('runPlan properties', () => {
  it('keeps the safety preconditions at every call and stops at the first failure', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, planArb, async (w, kinds) => {
        const { ctx, violations } = build(w);
        const plan: Action[] = kinds.map((kind) => ({ kind, resource: 'r0' }));
        const results = await runPlan(plan, ctx);

        expect(violations).toEqual([]);
        expect(results.length).toBeLessThanOrEqual(plan.length);
        results.slice(0, -1).forEach((r) => expect(r.status).toBe('ok'));
        if (results.length < plan.length) expect(results[results.length - 1]?.status).not.toBe('ok');
        results.forEach((r, i) => expect(r.action).toBe(plan[i]));
      }),
      { numRuns: 400 },
    );
  });

  it('every action that succeeded changes nothing when it runs again', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, planArb, async (w, kinds) => {
        const { world, ctx } = build(w);
        for (const kind of kinds) {
          const action: Action = { kind, resource: 'r0' };
          const [first] = await runPlan([action], ctx);
          if (first?.status !== 'ok') continue;
          const before = world.mutations().length;
          const [again] = await runPlan([action], ctx);
          expect(again?.status).toBe('ok');
          // fsck is a check, not a state change: running it again on an unmounted device is fine.
          expect(
            world
              .mutations()
              .slice(before)
              .filter((c) => !c.startsWith('fsck')),
          ).toEqual([]);
        }
      }),
      { numRuns: 400 },
    );
  });
});
