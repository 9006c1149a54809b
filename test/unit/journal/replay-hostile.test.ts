/**
 * `drbd-sentinel replay` on files that are not journals (issue 17.4), through the real CLI (dist/cli.js) with
 * a timeout: a clear refusal and a non-zero exit, never "0 decision(s) replayed", never a hang.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournalFile } from '../../../src/journal/index.js';
import { BUILT_CLI, requireBuild } from '../cli/built-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sentinel-replay-hostile-'));
beforeAll(() => requireBuild());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function replay(file: string) {
  const r = spawnSync(process.execPath, [BUILT_CLI, 'replay', file], { encoding: 'utf8', timeout: 20_000 });
  expect(r.signal, 'replay hung and was killed').toBeNull();
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const entry = (seq: number) =>
  JSON.stringify({
    v: 1,
    time: `T${seq}`,
    monoMs: seq,
    node: 'alpha',
    seq,
    observation: {},
    memory: {},
    policy: {},
    decision: { reason: 'X', plan: [] },
  });

describe('replay of files that are not decision journals', () => {
  it('/etc/passwd: exit 1, "not a decision journal"', () => {
    const r = replay('/etc/passwd');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'drbd-sentinel: not a decision journal: /etc/passwd: none of its lines is a journal entry',
    );
    expect(r.stderr).toMatch(/the first at line 1: not valid JSON/);
    expect(r.stdout).not.toContain('decision(s) replayed');
  });

  it('an empty file and a JSON file of other objects: exit 1', () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    expect(replay(empty)).toMatchObject({ code: 1, stderr: expect.stringContaining('it holds no lines') });
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, '{"a":1}\n{"v":1}\n');
    expect(replay(other)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('2 line(s), the first at line 1: unsupported journal version'),
    });
  });

  it('a directory, a FIFO, /dev/zero: exit 2 at once, saying what it is', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [file, what] of [
      [dir, 'a directory'],
      [fifo, 'a FIFO (named pipe)'],
      ['/dev/zero', 'a character device'],
    ] as const) {
      const r = replay(file);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`cannot read ${file}: it is ${what}, not a regular file`);
    }
  });

  it('a huge sparse file of zeros (no newline): streamed, one over-long line, exit 1, no hang', () => {
    const huge = join(dir, 'huge.jsonl');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, 64 * 1024 * 1024);
    closeSync(fd);
    const r = replay(huge);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a decision journal');
    expect(r.stderr).toContain('line longer than 16777216 bytes');
  });

  it('a valid journal with some foreign lines: replayed, the foreign lines counted with the first line number', () => {
    const mixed = join(dir, 'mixed.jsonl');
    const lines = [entry(1), 'garbage', entry(2), ...Array.from({ length: 12 }, () => '{"x":1}'), entry(3)];
    writeFileSync(mixed, `${lines.join('\n')}\n`);
    const r = replay(mixed);
    expect(r.stdout).toContain('3 decision(s) replayed');
    expect(r.stderr).toContain(
      `${mixed}: 13 line(s) are not journal entries (first at line 2), skipped; the first 10 are listed`,
    );
    expect(r.stderr.split('\n').filter((l) => l.includes(': skipped: '))).toHaveLength(10);
  });
});

describe('readJournalFile streaming', () => {
  it('splits lines across read chunks and keeps a truncated tail apart', () => {
    const file = join(dir, 'chunks.jsonl');
    const big = JSON.stringify({ pad: 'p'.repeat(3 * 1024 * 1024) });
    writeFileSync(file, `${entry(1)}\n${big}\n${entry(2)}\n{"cut`);
    const r = readJournalFile(file);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.entries.map((e) => e.line)).toEqual([1, 3]);
    expect(r.value.problems).toEqual([{ line: 2, message: 'unsupported journal version undefined' }]);
    expect(r.value.truncatedTail).toBe(true);
  });
});
