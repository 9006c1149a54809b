/** The engine's small exported helpers: election, explain, reason catalogue, backoff, purity of memory. */
import { describe, expect, it } from 'vitest';
import {
  REASONS,
  REASON_CODES,
  decide,
  elect,
  explain,
  explainResource,
  INITIAL_RESOURCE_MEMORY,
  initialMemory,
  resultObservation,
} from '../../src/engine/index.js';
import { backoffMs } from '../../src/engine/view.js';
import { memory, observation, policy, resourceObs } from './builders.js';

describe('elect', () => {
  it('prefers the preferred node, then the agreed last Primary, then the lower name', () => {
    expect(elect('alpha', true, 'bravo', true, 'bravo', 'alpha')).toEqual({
      winner: 'bravo',
      by: 'preferred',
    });
    expect(elect('alpha', true, 'bravo', true, null, 'bravo')).toEqual({
      winner: 'bravo',
      by: 'last-primary',
    });
    expect(elect('bravo', true, 'alpha', true, null, null)).toEqual({ winner: 'alpha', by: 'name' });
  });

  it('is symmetric: both nodes compute the same winner from the same facts', () => {
    for (const pref of [null, 'alpha', 'bravo', 'charlie'])
      for (const last of [null, 'alpha', 'bravo'])
        for (const a of [true, false])
          for (const b of [true, false]) {
            const fromAlpha = elect('alpha', a, 'bravo', b, pref, last).winner;
            const fromBravo = elect('bravo', b, 'alpha', a, pref, last).winner;
            expect(fromAlpha).toBe(fromBravo);
          }
  });

  it('elects nobody without candidates and the only candidate otherwise', () => {
    expect(elect('alpha', false, 'bravo', false, 'alpha', 'alpha')).toEqual({ winner: null, by: 'none' });
    expect(elect('alpha', false, 'bravo', true, 'alpha', 'alpha')).toEqual({ winner: 'bravo', by: 'only' });
  });
});

describe('reason catalogue', () => {
  it('every code says what the node does and what the operator should do', () => {
    for (const code of REASON_CODES) {
      expect(REASONS[code].node.length, code).toBeGreaterThan(10);
      expect(REASONS[code].operator.length, code).toBeGreaterThan(3);
      expect(code).toMatch(/^[A-Z][A-Z_]+$/);
    }
  });
});

describe('backoffMs', () => {
  it('doubles from the initial delay up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 1_000, 10_000))).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000, 10_000,
    ]);
    expect(backoffMs(1_000, 1_000, 10_000)).toBe(10_000);
  });
});

describe('explain', () => {
  it('gives one line per resource with the reason, severity and plan', () => {
    const obs = observation({
      resources: [resourceObs('r0', { drbd: { role: 'Secondary', peerRole: 'Secondary' } })],
    });
    const { decision } = decide(obs, memory(), policy());
    expect(explain(decision)).toBe(
      `r0: ELECTED_TAKEOVER (info) - ${REASONS.ELECTED_TAKEOVER.node} [promote > mount > start-services > add-addresses]`,
    );
    expect(explainResource(decision.resources[0]!)).toBe(explain(decision));
  });

  it('names NO_RESOURCES when nothing is configured', () => {
    const { decision } = decide(observation({ resources: [] }), initialMemory(), policy());
    expect(decision.reason).toBe('NO_RESOURCES');
    expect(decision.plan).toEqual([]);
    expect(explain(decision)).toContain('NO_RESOURCES');
  });
});

describe('memory round trip', () => {
  it('memory and decisions survive JSON (the journal) unchanged', () => {
    const obs = observation({
      resources: [resourceObs('r0', { drbd: { role: 'Secondary', peerRole: 'Secondary' } })],
    });
    const out = decide(obs, memory(), policy());
    const again = decide(obs, JSON.parse(JSON.stringify(memory())), policy());
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
    expect(again).toEqual(out);
  });
});

describe('resultObservation', () => {
  it('maps an executor result to what the engine observes', () => {
    expect(
      resultObservation(
        {
          action: { kind: 'promote', resource: 'r0' },
          status: 'failed',
          retrySafe: false,
          errorKind: 'need-uptodate',
        },
        1234,
      ),
    ).toEqual({
      kind: 'promote',
      resource: 'r0',
      outcome: 'failed',
      retrySafe: false,
      atMs: 1234,
      errorKind: 'need-uptodate',
    });
    expect(
      resultObservation({ action: { kind: 'fence-peer' }, status: 'ok', retrySafe: true, errorKind: null }, 5)
        .resource,
    ).toBeNull();
  });
});

describe('safety gate', () => {
  it('replaces a plan that would promote against SAFETY.md by a hold, whatever rule built it', async () => {
    const { safetyGate } = await import('../../src/engine/safety-gate.js');
    const { resourceContext } = await import('../../src/engine/view.js');
    const { takeoverSequence } = await import('../../src/engine/sequences.js');
    const obs = observation({
      peer: { reachable: false, links: [{ name: 'hb0', up: false }] },
      resources: [
        resourceObs('r0', { drbd: { role: 'Secondary', peerRole: 'Unknown', cstate: 'WFConnection' } }),
      ],
    });
    const mem = memory({ startupDone: true, peerLostSinceMs: 0 });
    const c = resourceContext(
      obs,
      policy({ fencing: 'resource-only' }),
      mem,
      INITIAL_RESOURCE_MEMORY,
      obs.resources[0]!,
      obs.resources[0]!.drbd!,
    );
    const bogus = { reason: 'TAKEOVER_FENCED' as const, plan: takeoverSequence('r0', false) };
    const gated = safetyGate(c, bogus);
    expect(gated.reason).toBe('SAFETY_GATE_HOLD');
    expect(gated.plan).toEqual([]);
    expect(gated.facts).toMatchObject({
      safetyGate: 'peer unreachable and policy resource-only',
      blockedReason: 'TAKEOVER_FENCED',
    });
    const stale = resourceContext(
      observation({
        resources: [
          resourceObs('r0', { drbd: { role: 'Secondary', disk: 'Outdated', peerRole: 'Secondary' } }),
        ],
      }),
      policy(),
      mem,
      INITIAL_RESOURCE_MEMORY,
      resourceObs('r0', { drbd: { role: 'Secondary', disk: 'Outdated', peerRole: 'Secondary' } }),
      resourceObs('r0', { drbd: { role: 'Secondary', disk: 'Outdated', peerRole: 'Secondary' } }).drbd!,
    );
    expect(safetyGate(stale, bogus).facts).toMatchObject({ safetyGate: 'local disk not UpToDate' });
  });
});
