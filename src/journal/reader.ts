import { closeSync, readSync } from 'node:fs';
import { openRegularFile } from '../config/index.js';
import { err, ok, type Result } from '../common/result.js';
import { JOURNAL_VERSION, type JournalEntry } from './entry.js';

/** One entry with the 1-based line it came from. */
export interface NumberedEntry {
  readonly line: number;
  readonly entry: JournalEntry;
}

export interface JournalReadResult {
  readonly entries: readonly NumberedEntry[];
  /** Lines that are not valid entries (other than a truncated last line). */
  readonly problems: readonly { readonly line: number; readonly message: string }[];
  /** The last line was cut off (the daemon died mid-write): ignored, not a problem. */
  readonly truncatedTail: boolean;
}

function checkEntry(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (v.v !== JOURNAL_VERSION) return `unsupported journal version ${JSON.stringify(v.v)}`;
  for (const key of ['time', 'node'] as const) if (typeof v[key] !== 'string') return `missing ${key}`;
  for (const key of ['monoMs', 'seq'] as const) if (typeof v[key] !== 'number') return `missing ${key}`;
  for (const key of ['observation', 'memory', 'policy', 'decision'] as const)
    if (!(key in v)) return `missing ${key}`;
  return null;
}

/** A journal line is one decision; anything longer than this is not one (and is not kept in memory). */
export const MAX_JOURNAL_LINE_BYTES = 16 * 1024 * 1024;

/** Accumulates lines into a read result; `last` marks the final line of the input. */
function lineParser() {
  const entries: NumberedEntry[] = [];
  const problems: { line: number; message: string }[] = [];
  let truncatedTail = false;
  const add = (raw: string, lineNo: number, lastWithoutNewline: boolean) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      if (lastWithoutNewline) truncatedTail = true;
      else problems.push({ line: lineNo, message: 'not valid JSON' });
      return;
    }
    const problem = checkEntry(value);
    if (problem !== null) problems.push({ line: lineNo, message: problem });
    else entries.push({ line: lineNo, entry: value as JournalEntry });
  };
  const tooLong = (lineNo: number) =>
    problems.push({ line: lineNo, message: `line longer than ${MAX_JOURNAL_LINE_BYTES} bytes` });
  return { add, tooLong, result: (): JournalReadResult => ({ entries, problems, truncatedTail }) };
}

/**
 * Parses journal text (pure, total). A last line without its newline that does not parse is a write cut short
 * by a crash: reported as `truncatedTail`, not as a problem.
 */
export function parseJournalText(text: string): JournalReadResult {
  const p = lineParser();
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  lines.forEach((raw, i) => p.add(raw, i + 1, i === lines.length - 1 && !endsWithNewline));
  return p.result();
}

/**
 * Reads and parses one journal file, streaming it in chunks (journals reach `journal.max-size-mb`). Only a
 * regular file is read: a directory, a FIFO or /dev/zero is refused at once, never waited on. Never throws.
 */
export function readJournalFile(path: string): Result<JournalReadResult, string> {
  const opened = openRegularFile(path);
  if (!opened.ok) {
    const why = opened.error.reason === 'not-found' ? 'no such file' : opened.error.message;
    return err(`cannot read ${path}: ${why}`);
  }
  const { fd } = opened.value;
  const p = lineParser();
  const chunk = Buffer.alloc(1024 * 1024);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false; // inside a line already reported as too long
  let lineNo = 1;
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0 || nl >= n) break;
        if (!skipping) {
          pending.push(chunk.subarray(start, nl));
          pendingBytes += nl - start;
          if (pendingBytes > MAX_JOURNAL_LINE_BYTES) p.tooLong(lineNo);
          else p.add(Buffer.concat(pending).toString('utf8'), lineNo, false);
        }
        pending = [];
        pendingBytes = 0;
        skipping = false;
        lineNo++;
        start = nl + 1;
      }
      if (!skipping && start < n) {
        pending.push(Buffer.from(chunk.subarray(start, n)));
        pendingBytes += n - start;
        if (pendingBytes > MAX_JOURNAL_LINE_BYTES) {
          p.tooLong(lineNo);
          skipping = true;
          pending = [];
          pendingBytes = 0;
        }
      }
    }
    if (!skipping && pendingBytes > 0) p.add(Buffer.concat(pending).toString('utf8'), lineNo, true);
  } catch (e) {
    return err(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  } finally {
    closeSync(fd);
  }
  return ok(p.result());
}
