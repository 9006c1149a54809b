/**
 * fast-check properties of the engine: totality and determinism over arbitrary observations, the
 * promote invariants over arbitrary memories, and a two-engine model (pair-model.ts) under random and
 * adversarial fault schedules (link cuts, crashes, reboots, failing fence handlers, stale reports):
 * never two Primaries, never a stale promotion, and one Primary again once the faults heal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONNECTION_STATES, DISK_STATES, ROLES } from '../../src/drbd/types.js';
import type { EngineMemory, EnginePolicy, Observation } from '../../src/engine/index.js';
import { decide, FENCING_POLICIES, isReasonCode } from '../../src/engine/index.js';
import { memory, nodeReport, observation, policy, resourceObs, resourceReport } from './builders.js';
import type { Event } from './pair-model.js';
import { run } from './pair-model.js';

const role = fc.constantFrom(...ROLES);
const disk = fc.constantFrom(...DISK_STATES);
const cstate = fc.constantFrom(...CONNECTION_STATES);
const time = fc.integer({ min: 0, max: 200_000 });

const arbPolicy: fc.Arbitrary<EnginePolicy> = fc
  .record({
    fencing: fc.constantFrom(...FENCING_POLICIES),
    acceptRisk: fc.boolean(),
    fenceDelayMs: fc.integer({ min: 0, max: 20_000 }),
    deadtimeMs: fc.integer({ min: 0, max: 20_000 }),
    preferredNode: fc.constantFrom(null, 'alpha', 'bravo'),
    failbackDelayMs: fc.integer({ min: 0, max: 60_000 }),
    fsck: fc.boolean(),
    onDemoteFailure: fc.boolean(),
  })
  .map((p) => policy(p));

const arbMemory: fc.Arbitrary<EngineMemory> = fc
  .record({
    peerLostSinceMs: fc.option(time, { nil: null }),
    peerWasReachable: fc.option(fc.boolean(), { nil: null }),
    startupDone: fc.boolean(),
    fence: fc.record({
      status: fc.constantFrom('none' as const, 'succeeded' as const, 'failed' as const),
      failures: fc.integer({ min: 0, max: 5 }),
      nextAttemptMs: fc.option(time, { nil: null }),
    }),
    r0: fc.record({
      frozen: fc.boolean(),
      peerOutdated: fc.boolean(),
      failures: fc.integer({ min: 0, max: 4 }),
      nextAttemptMs: fc.option(time, { nil: null }),
      demoteFailed: fc.boolean(),
      yieldUntilMs: fc.option(time, { nil: null }),
      lastPrimary: fc.constantFrom(null, 'alpha', 'bravo'),
      failbackSinceMs: fc.option(time, { nil: null }),
    }),
  })
  .map(({ r0, ...rest }) => memory({ ...rest, resources: { r0 } }));

const arbObservation: fc.Arbitrary<Observation> = fc
  .record({
    nowMs: time,
    role,
    disk,
    cstate,
    peerRole: role,
    peerDisk: disk,
    mounted: fc.boolean(),
    splitBrain: fc.boolean(),
    reachable: fc.boolean(),
    linkUp: fc.boolean(),
    report: fc.option(
      fc.record({
        role,
        disk,
        cstate,
        splitBrain: fc.boolean(),
        standby: fc.boolean(),
        maintenance: fc.boolean(),
      }),
      {
        nil: null,
      },
    ),
    everHeard: fc.boolean(),
    standby: fc.boolean(),
    maintenance: fc.boolean(),
    switchTo: fc.constantFrom(null, 'alpha', 'bravo', 'charlie'),
    request: fc.constantFrom(null, 'release' as const, 'takeover' as const, 'outdate' as const),
    inFlight: fc.constantFrom([], ['r0'], [null]),
    stalled: fc.boolean(),
    startMs: time,
    degraded: fc.boolean(),
    results: fc.array(
      fc.record({
        kind: fc.constantFrom(
          'promote' as const,
          'mount' as const,
          'demote' as const,
          'umount' as const,
          'fence-peer' as const,
          'outdate-peer' as const,
        ),
        outcome: fc.constantFrom(
          'ok' as const,
          'failed' as const,
          'timeout' as const,
          'skipped-precondition' as const,
        ),
        retrySafe: fc.boolean(),
      }),
      { maxLength: 3 },
    ),
  })
  .map((o) =>
    observation({
      nowMs: o.nowMs,
      resources: [
        resourceObs('r0', {
          mounted: o.mounted,
          servicesUp: o.mounted,
          splitBrain: o.splitBrain,
          drbd: { role: o.role, disk: o.disk, cstate: o.cstate, peerRole: o.peerRole, peerDisk: o.peerDisk },
        }),
      ],
      peer: {
        reachable: o.reachable,
        everHeard: o.everHeard,
        links: [{ name: 'hb0', up: o.reachable || o.linkUp }],
        report:
          o.report === null
            ? null
            : nodeReport({
                standby: o.report.standby,
                maintenance: o.report.maintenance,
                resources: [
                  resourceReport('r0', {
                    role: o.report.role,
                    disk: o.report.disk,
                    cstate: o.report.cstate,
                    splitBrain: o.report.splitBrain,
                  }),
                ],
              }),
      },
      intents: {
        standby: o.standby,
        maintenance: o.maintenance,
        switchovers: o.switchTo === null ? [] : [{ resource: 'r0', to: o.switchTo }],
      },
      peerRequests: o.request === null ? [] : [{ kind: o.request, resource: 'r0', atMs: o.nowMs }],
      inFlight: o.inFlight,
      stalled: o.stalled,
      results: o.results.map((r) => ({
        kind: r.kind,
        resource: r.kind === 'fence-peer' ? null : 'r0',
        outcome: r.outcome,
        retrySafe: r.retrySafe,
        atMs: o.nowMs,
        errorKind: r.outcome === 'ok' ? null : 'x',
      })),
      startup: { daemonStartMs: Math.min(o.startMs, o.nowMs), degradedShutdown: o.degraded },
    }),
  );

describe('engine properties', () => {
  it('is total, deterministic and keeps the promote invariants on arbitrary inputs', () => {
    fc.assert(
      fc.property(arbObservation, arbMemory, arbPolicy, (obs, mem, pol) => {
        const out = decide(obs, mem, pol);
        expect(decide(obs, mem, pol)).toEqual(out);
        expect(isReasonCode(out.decision.reason)).toBe(true);
        const d = obs.resources[0]!.drbd!;
        const promote = out.decision.plan.some((a) => a.kind === 'promote');
        if (promote) {
          expect(d.disk).toBe('UpToDate');
          expect(d.peerRole).not.toBe('Primary');
          expect(obs.intents.maintenance || obs.peer.report?.maintenance === true).toBe(false);
          expect(obs.stalled).toBe(false);
          if (!obs.peer.reachable) {
            expect(pol.fencing).not.toBe('resource-only');
            if (pol.fencing === 'stonith') expect(out.memory.fence.status).toBe('succeeded');
            if (pol.fencing === 'none') expect(pol.acceptRisk).toBe(true);
          } else {
            expect(obs.peer.report?.resources[0]?.role).not.toBe('Primary');
          }
        }
        expect(out.decision.reason).not.toBe('SAFETY_GATE_HOLD');
      }),
      { numRuns: 20_000, seed: 7 },
    );
  });

  const node = fc.constantFrom('alpha' as const, 'bravo' as const);
  const arbEvent: fc.Arbitrary<Event> = fc.oneof(
    { weight: 2, arbitrary: fc.constant({ kind: 'cut-hb' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'heal-hb' as const }) },
    { weight: 1, arbitrary: node.map((n) => ({ kind: 'cut-hb-to' as const, node: n })) },
    { weight: 2, arbitrary: fc.constant({ kind: 'cut-repl' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'heal-repl' as const }) },
    { weight: 2, arbitrary: node.map((n) => ({ kind: 'crash' as const, node: n })) },
    { weight: 2, arbitrary: node.map((n) => ({ kind: 'boot' as const, node: n })) },
    { weight: 1, arbitrary: fc.boolean().map((value) => ({ kind: 'fence-fails' as const, value })) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 0, max: 3 }).map((value) => ({ kind: 'stale' as const, value })),
    },
    {
      weight: 4,
      arbitrary: fc.integer({ min: 0, max: 8_000 }).map((ms) => ({ kind: 'advance' as const, ms })),
    },
    { weight: 4, arbitrary: fc.constant({ kind: 'write' as const }) },
    {
      weight: 1,
      arbitrary: fc.tuple(node, node).map(([at, to]) => ({ kind: 'switchover' as const, at, to })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(node, fc.boolean())
        .map(([n, value]) => ({ kind: 'standby' as const, node: n, value })),
    },
  );
  const HEAL: Event[] = [
    { kind: 'standby', node: 'alpha', value: false },
    { kind: 'standby', node: 'bravo', value: false },
    { kind: 'fence-fails', value: false },
    { kind: 'stale', value: 0 },
    { kind: 'heal-hb' },
    { kind: 'heal-repl' },
    { kind: 'boot', node: 'alpha' },
    { kind: 'boot', node: 'bravo' },
    ...Array.from({ length: 30 }, () => ({ kind: 'advance' as const, ms: 5_000 })),
  ];

  it('the model is sharp: none + accept-risk in a full partition makes two Primaries (the accepted risk)', () => {
    const pol = policy({ fencing: 'none', acceptRisk: true, deadtimeMs: 1_000, initdeadMs: 20_000 });
    const w = run(
      [
        { kind: 'write' },
        { kind: 'cut-hb' },
        { kind: 'cut-repl' },
        { kind: 'advance', ms: 3_000 },
        { kind: 'advance', ms: 3_000 },
      ],
      pol,
      [true],
    );
    expect(w.violations.some((v) => v.startsWith('two primaries'))).toBe(true);
    expect([...w.reasons.keys()]).toContain('TAKEOVER_ACCEPT_RISK');
  });

  for (const fencing of ['stonith', 'resource-only', 'none'] as const) {
    it(`two engines never make two Primaries or promote stale data (${fencing}), and recover once faults heal`, () => {
      const pol = policy({
        fencing,
        acceptRisk: false,
        fenceDelayMs: 5_000,
        initdeadMs: 20_000,
        degradedInitdeadMs: 10_000,
      });
      let promotions = 0;
      const reasons = new Set<string>();
      fc.assert(
        fc.property(
          fc.array(arbEvent, { minLength: 1, maxLength: 60 }),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
          (events, order) => {
            const w = run([...events, ...HEAL], pol, order);
            promotions += w.promotions;
            for (const r of w.reasons.keys()) reasons.add(r);
            expect(w.violations).toEqual([]);
            const primaries = Object.values(w.nodes).filter((n) => n.up && n.role === 'Primary').length;
            const frozen = Object.values(w.nodes).some((n) => n.splitBrain);
            // Liveness: after healing, exactly one Primary unless split-brain froze the resource (operator's
            // job) or no UpToDate disk is left (both outdated: the operator decides).
            const anyUpToDate = Object.values(w.nodes).some((n) => n.disk === 'UpToDate');
            if (!frozen && anyUpToDate) expect(primaries).toBe(1);
            else expect(primaries).toBeLessThanOrEqual(1);
          },
        ),
        { numRuns: 500, seed: 42 },
      );
      // Not vacuous: the schedules drive real takeovers and many rules.
      expect(promotions).toBeGreaterThan(50);
      expect(reasons.size).toBeGreaterThan(10);
      if (fencing === 'stonith') expect(reasons.has('TAKEOVER_FENCED')).toBe(true);
    });
  }
});
