import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { makeSecretDir, readInvalidFixtures, withSecret } from '../../fixtures/config/invalid-fixtures.js';

const fixtures = readInvalidFixtures();
const tmp = makeSecretDir();
afterAll(() => tmp.cleanup());

describe('the invalid configuration corpus', () => {
  it('has at least 30 files', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))(
    '%s: reports exactly the expected problems',
    (name, f) => {
      const file = `${name}.yaml`;
      const r = parseConfigText(withSecret(f.text, tmp.secret), file);
      expect(r.ok, `${name} was accepted`).toBe(false);
      if (r.ok) return;
      const problems = r.error;
      // Exactly the expected key paths: nothing missing, nothing spurious.
      expect(problems.map((p) => p.path).sort()).toEqual(f.expectations.map((e) => e.path).sort());
      for (const e of f.expectations) {
        const p = problems.find((q) => q.path === e.path && q.message.includes(e.message));
        expect(
          p,
          `${name}: no problem at ${e.path} containing "${e.message}"; got ${JSON.stringify(problems)}`,
        ).toBeDefined();
        if (!p) continue;
        expect(p.file).toBe(file);
        if (e.line !== undefined) expect({ line: p.line, col: p.col }).toEqual({ line: e.line, col: e.col });
        else expect(p.line).toBeGreaterThan(0);
      }
    },
  );
});
