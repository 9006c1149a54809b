import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  computeNextIncarnation,
  INCARNATION_FILE,
  nextIncarnation,
  parseIncarnationFile,
} from '../../../src/membership/incarnation.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ds-incarnation-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('incarnation', () => {
  it('is strictly increasing across restarts even when the wall clock stands still or goes back', async () => {
    const seen: number[] = [];
    let wall = 1_000_000;
    for (let i = 0; i < 5; i++) {
      const r = await nextIncarnation(dir, { wallClockMs: () => wall });
      expect(r.ok).toBe(true);
      if (r.ok) seen.push(r.value);
      wall -= 1000; // clock stepped back
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    expect((await readFile(join(dir, INCARNATION_FILE), 'utf8')).trim()).toBe(String(seen.at(-1)));
  });

  it('uses the wall clock when the file is missing or corrupt, and says why', async () => {
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o), info: () => {} } as never;
    await writeFile(join(dir, INCARNATION_FILE), 'garbage\0\n');
    const r = await nextIncarnation(dir, { wallClockMs: () => 5_000_000, logger });
    expect(r).toEqual({ ok: true, value: 5_000_000 });
    expect(warnings).toEqual([expect.objectContaining({ reason: 'incarnation-file-corrupt' })]);
    const fresh = await nextIncarnation(join(dir, 'sub'), { wallClockMs: () => 7 });
    expect(fresh).toEqual({ ok: true, value: 7 });
  });

  it('fails as a value when the state directory cannot be written', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const r = await nextIncarnation(join(dir, 'file', 'sub'));
    expect(r.ok).toBe(false);
  });

  it('parses only one positive integer', () => {
    expect(parseIncarnationFile('17\n')).toBe(17);
    expect(parseIncarnationFile('')).toBeNull();
    expect(parseIncarnationFile('-3')).toBeNull();
    expect(parseIncarnationFile('1e9')).toBeNull();
    expect(parseIncarnationFile('99999999999999999')).toBeNull();
    expect(computeNextIncarnation(10, 5)).toBe(11);
    expect(computeNextIncarnation(10, 50)).toBe(50);
    expect(computeNextIncarnation(null, 50)).toBe(50);
  });
});
