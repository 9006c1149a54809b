import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/membership-harness.js';
import { exportedSamples, hasSample } from './exported-samples.js';

/** Every `drbd_sentinel_*` name written in README.md and docs/*.md. */
function documentedNames(): Set<string> {
  const files = [
    join(REPO_ROOT, 'README.md'),
    ...readdirSync(join(REPO_ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(REPO_ROOT, 'docs', f)),
  ];
  const names = new Set<string>();
  for (const f of files)
    for (const m of readFileSync(f, 'utf8').matchAll(/drbd_sentinel_[a-z_]+/g)) names.add(m[0]);
  return names;
}

describe('documented metrics', () => {
  it('every metric name in README.md and docs/*.md is exported with a sample, and every exported one is documented', async () => {
    const documented = documentedNames();
    const { samples, registered } = await exportedSamples();
    expect(documented.size).toBeGreaterThan(10);
    expect([...documented].filter((n) => !hasSample(samples, n))).toEqual([]);
    expect([...registered].filter((n) => !documented.has(n))).toEqual([]);
  });
});
