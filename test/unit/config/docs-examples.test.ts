import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { makeSecretDir } from '../../fixtures/config/invalid-fixtures.js';

const docs = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
const tmp = makeSecretDir();
afterAll(() => tmp.cleanup());

// The complete example files in docs/configuration.md (yaml blocks with a cluster section).
const examples = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => m[1] as string)
  .filter((b) => b.startsWith('cluster:'));

describe('docs/configuration.md examples', () => {
  it('has complete examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });
  it.each(examples.map((e, i) => [i, e] as const))('example %d is valid', (_i, text) => {
    const withSecret = text.replace(
      /^cluster: \{ name: ([^ }]+) \}/m,
      `cluster: { name: $1, secret-file: ${tmp.secret} }`,
    );
    const r = parseConfigText(withSecret, 'docs.yaml');
    expect(r.ok, JSON.stringify(r.ok ? [] : r.error)).toBe(true);
  });
  it('the smallest example draws exactly the three warnings it announces', () => {
    const smallest = (examples[0] ?? '').replace(
      /^cluster: \{ name: ([^ }]+) \}/m,
      `cluster: { name: $1, secret-file: ${tmp.secret} }`,
    );
    const r = parseConfigText(smallest, 'docs.yaml');
    expect(r.ok && r.value.warnings.map((w) => w.path).sort()).toEqual(['fencing.policy', 'nodes', 'notify']);
  });
});
