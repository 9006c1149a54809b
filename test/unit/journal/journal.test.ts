import { appendFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import {
  JournalWriter,
  parseJournalText,
  readJournalFile,
  type JournalEntry,
} from '../../../src/journal/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const entry = (seq: number, extra: Partial<JournalEntry> = {}): JournalEntry => ({
  v: 1,
  time: `2026-11-24T18:00:${String(seq % 60).padStart(2, '0')}.000Z`,
  monoMs: 1000 * seq,
  node: 'alpha',
  seq,
  observation: { seq, pad: 'x'.repeat(40) },
  memory: {},
  policy: { deadtimeMs: 5000 },
  decision: { reason: 'ALL_GOOD', plan: [], resources: [] },
  ...extra,
});

function open(path: string, maxBytes: number, keep: number, clock?: VirtualClock): JournalWriter {
  const w = JournalWriter.open({ path, maxBytes, keep, ...(clock ? { clock } : { syncIntervalMs: null }) });
  if (!w.ok) throw new Error(w.error.message);
  return w.value;
}

describe('JournalWriter', () => {
  it('appends one JSON line per entry, creating the directory, and reopens in append mode', () => {
    const path = join(dir, 'state', 'journal.jsonl');
    const w = open(path, 1_000_000, 3);
    expect(w.append(entry(1)).ok).toBe(true);
    expect(w.append(entry(2)).ok).toBe(true);
    w.close();
    expect(w.append(entry(3)).ok).toBe(false);
    const again = open(path, 1_000_000, 3);
    again.append(entry(3));
    again.close();
    const read = readJournalFile(path);
    expect(read.ok && read.value.entries.map((e) => e.entry.seq)).toEqual([1, 2, 3]);
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('rotates by size and keeps N files, newest rotated first', () => {
    const path = join(dir, 'journal.jsonl');
    const lineBytes = JSON.stringify(entry(10)).length + 1;
    const w = open(path, lineBytes * 3, 2);
    for (let seq = 10; seq < 20; seq++) expect(w.append(entry(seq)).ok).toBe(true);
    w.close();
    const seqs = (p: string) => {
      const r = readJournalFile(p);
      return r.ok ? r.value.entries.map((e) => e.entry.seq) : r.error;
    };
    expect(seqs(path)).toEqual([19]);
    expect(seqs(`${path}.1`)).toEqual([16, 17, 18]);
    expect(seqs(`${path}.2`)).toEqual([13, 14, 15]);
    expect(existsSync(`${path}.3`)).toBe(false);
    for (const p of [path, `${path}.1`, `${path}.2`])
      expect(statSync(p).size).toBeLessThanOrEqual(lineBytes * 3);
  });

  it('writes an entry larger than maxBytes into a file of its own instead of failing', () => {
    const path = join(dir, 'journal.jsonl');
    const w = open(path, 50, 1);
    expect(w.append(entry(1)).ok).toBe(true);
    expect(w.append(entry(2)).ok).toBe(true);
    w.close();
    const r = readJournalFile(path);
    expect(r.ok && r.value.entries.map((e) => e.entry.seq)).toEqual([2]);
  });

  it('syncs periodically on its clock, not per line, and stops on close', () => {
    const clock = new VirtualClock();
    const w = open(join(dir, 'j.jsonl'), 1_000_000, 1, clock);
    expect(clock.nextTimerAtMs()).toBe(5_000);
    w.append(entry(1));
    clock.advance(5_000);
    expect(clock.nextTimerAtMs()).toBe(10_000);
    w.close();
    expect(clock.nextTimerAtMs()).toBeNull();
  });

  it('reports an unserializable entry as a value', () => {
    const w = open(join(dir, 'j.jsonl'), 1_000_000, 1);
    expect(w.append({ big: 1n }).ok).toBe(false);
    w.close();
  });
});

describe('journal reader', () => {
  it('tolerates a truncated last line (crash mid-write)', () => {
    const path = join(dir, 'journal.jsonl');
    const w = open(path, 1_000_000, 1);
    w.append(entry(1));
    w.append(entry(2));
    w.close();
    appendFileSync(path, JSON.stringify(entry(3)).slice(0, 30));
    const r = readJournalFile(path);
    expect(r.ok && r.value).toMatchObject({ truncatedTail: true, problems: [] });
    expect(r.ok && r.value.entries.map((e) => [e.line, e.entry.seq])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('reports bad lines in the middle with their line numbers', () => {
    const text = [
      JSON.stringify(entry(1)),
      '{garbage',
      JSON.stringify({ ...entry(2), v: 9 }),
      JSON.stringify({ v: 1, time: 't', node: 'n', monoMs: 0, seq: 0, observation: {} }),
      '',
      JSON.stringify(entry(3)),
      '',
    ].join('\n');
    const r = parseJournalText(text);
    expect(r.truncatedTail).toBe(false);
    expect(r.entries.map((e) => e.line)).toEqual([1, 6]);
    expect(r.problems).toEqual([
      { line: 2, message: 'not valid JSON' },
      { line: 3, message: 'unsupported journal version 9' },
      { line: 4, message: 'missing memory' },
    ]);
  });

  it('reads an empty file and says when a file is missing', () => {
    expect(parseJournalText('')).toEqual({ entries: [], problems: [], truncatedTail: false });
    expect(readJournalFile(join(dir, 'nope'))).toEqual({
      ok: false,
      error: `cannot read ${join(dir, 'nope')}: no such file`,
    });
  });
});
