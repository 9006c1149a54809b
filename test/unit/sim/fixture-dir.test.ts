import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR_CANDIDATES, resolveFixtureDir } from './fixtures.js';

describe('the shared fixtures are found relative to the repository', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fixture-dir-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('looks in ../shared beside the clone first, then in /work/shared', () => {
    const repoRoot = path.resolve(import.meta.dirname, '../../..');
    expect(FIXTURE_DIR_CANDIDATES).toEqual([
      path.join(path.dirname(repoRoot), 'shared/fixtures/drbd-8.4.11'),
      '/work/shared/fixtures/drbd-8.4.11',
    ]);
  });

  it('takes the first candidate that exists', () => {
    expect(resolveFixtureDir([path.join(tmp, 'absent'), tmp])).toBe(tmp);
  });

  it('fails naming every path it tried when none exists', () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    expect(() => resolveFixtureDir([a, b])).toThrow(`looked in: ${a}, ${b}`);
  });
});
