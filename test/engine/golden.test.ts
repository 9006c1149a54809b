/**
 * Golden scenarios: each file in test/engine/golden/ is one readable case (observation and memory in, the
 * exact plan and reasons out). A failing case prints its file name and what the engine decided instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REASON_CODES, decide, explain } from '../../src/engine/index.js';
import { goldenInputs, judge, parseGoldenSpec } from './golden-spec.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const load = (file: string) => parseGoldenSpec(parse(readFileSync(join(dir, file), 'utf8')), file);

describe('golden scenarios', () => {
  it('has at least 40 scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it('every scenario names a distinct case', () => {
    const names = files.map((f) => load(f).name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('covers every reason code the rules can reach (the safety gate is tested on its own)', () => {
    const seen = new Set<string>();
    for (const file of files) {
      const spec = load(file);
      const { observation, memory, policy } = goldenInputs(spec);
      for (const r of decide(observation, memory, policy).decision.resources) seen.add(r.reason);
      seen.add(spec.expect.reason);
    }
    const missing = REASON_CODES.filter((c) => !seen.has(c) && c !== 'SAFETY_GATE_HOLD');
    expect(missing).toEqual([]);
  });

  for (const file of files) {
    it(file, () => {
      const spec = load(file);
      const { actual, expected, out, inputs } = judge(spec);
      const { observation, memory, policy } = inputs;
      const d = out.decision;
      expect(actual, explain(d)).toEqual(expected);
      if (spec.expect.facts !== undefined) expect(d.facts).toMatchObject(spec.expect.facts);
      if (spec.expect.memory !== undefined) expect(out.memory).toMatchObject(spec.expect.memory);
      // Determinism: the same input decides the same, and the input memory is not mutated.
      const frozen = JSON.stringify(memory);
      expect(decide(observation, memory, policy)).toEqual(out);
      expect(JSON.stringify(memory)).toBe(frozen);
    });
  }
});

describe('the golden case format', () => {
  const base = { name: 'n', description: 'd', expect: { plan: [], reason: 'STEADY_PRIMARY_HERE' } };

  it('rejects a misspelled key at any level, naming its path', () => {
    const typo = { ...base, observation: { peer: { reachabel: false } } };
    expect(() => parseGoldenSpec(typo, 'typo.yaml')).toThrow(
      /typo\.yaml.*\n.*unknown key observation\.peer\.reachabel/,
    );
    const deep = {
      ...base,
      observation: { resources: [{ name: 'r0', drbd: { cstat: 'WFConnection' } }] },
    };
    expect(() => parseGoldenSpec(deep, 'deep.yaml')).toThrow(
      /unknown key observation\.resources\.0\.drbd\.cstat/,
    );
    expect(() => parseGoldenSpec({ ...base, polcy: {} }, 'top.yaml')).toThrow(/unknown key polcy/);
    const mem = { ...base, memory: { resources: { r0: { lastReasn: null } } } };
    expect(() => parseGoldenSpec(mem, 'mem.yaml')).toThrow(/unknown key memory\.resources\.r0\.lastReasn/);
  });

  it('rejects an action without its arguments and an unknown reason code', () => {
    const bare = { ...base, expect: { plan: [{ kind: 'promote' }], reason: 'TAKEOVER' } };
    expect(() => parseGoldenSpec(bare, 'bare.yaml')).toThrow(/expect\.plan\.0/);
    const reason = { ...base, expect: { plan: [], reason: 'STEADY_PRIMARY_HER' } };
    expect(() => parseGoldenSpec(reason, 'reason.yaml')).toThrow(/expect\.reason: unknown reason code/);
  });

  it('completes a partial fence memory and retry policy from the defaults', () => {
    const spec = parseGoldenSpec(
      { ...base, memory: { fence: { status: 'succeeded' } }, policy: { retry: { maxAttempts: 1 } } },
      'partial.yaml',
    );
    const { memory, policy } = goldenInputs(spec);
    expect(memory.fence).toEqual({ status: 'succeeded', failures: 0, nextAttemptMs: null });
    expect(policy.retry).toEqual({ maxAttempts: 1, initialMs: 2000, maxMs: 30000 });
  });
});
