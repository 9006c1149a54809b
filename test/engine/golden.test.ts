/**
 * Golden scenarios: each file in test/engine/golden/ is one readable case (observation and memory in,
 * plan and reason out). A failing case prints its file name and what the engine decided instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REASON_CODES, decide, explain, isReasonCode } from '../../src/engine/index.js';
import { GoldenSpec, goldenInputs, planKinds } from './golden-spec.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('golden scenarios', () => {
  it('has at least 40 scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it('every scenario names a distinct case', () => {
    const names = files.map((f) => GoldenSpec.parse(parse(readFileSync(join(dir, f), 'utf8'))).name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('covers every reason code the rules can reach (the safety gate is tested on its own)', () => {
    const seen = new Set<string>();
    for (const file of files) {
      const spec = GoldenSpec.parse(parse(readFileSync(join(dir, file), 'utf8')));
      const { observation, memory, policy } = goldenInputs(spec);
      for (const r of decide(observation, memory, policy).decision.resources) seen.add(r.reason);
      seen.add(spec.expect.reason);
    }
    const missing = REASON_CODES.filter((c) => !seen.has(c) && c !== 'SAFETY_GATE_HOLD');
    expect(missing).toEqual([]);
  });

  for (const file of files) {
    it(file, () => {
      const spec = GoldenSpec.parse(parse(readFileSync(join(dir, file), 'utf8')));
      const { observation, memory, policy } = goldenInputs(spec);
      const out = decide(observation, memory, policy);
      const d = out.decision;
      const got = { plan: planKinds(d.plan), reason: d.reason, explain: explain(d) };
      expect(isReasonCode(spec.expect.reason), `unknown reason code in ${file}`).toBe(true);
      expect({ plan: got.plan, reason: got.reason }, got.explain).toEqual({
        plan: spec.expect.plan,
        reason: spec.expect.reason,
      });
      if (spec.expect.resources !== undefined) {
        const per = Object.fromEntries(d.resources.map((r) => [r.resource, r.reason]));
        expect(per).toEqual(spec.expect.resources);
      }
      if (spec.expect.facts !== undefined) expect(d.facts).toMatchObject(spec.expect.facts);
      if (spec.expect.memory !== undefined) expect(out.memory).toMatchObject(spec.expect.memory);
      // Determinism: the same input decides the same, and the input memory is not mutated.
      const frozen = JSON.stringify(memory);
      expect(decide(observation, memory, policy)).toEqual(out);
      expect(JSON.stringify(memory)).toBe(frozen);
    });
  }
});
