import { readFileSync } from 'node:fs';
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

/**
 * Parses journal text (pure, total). A last line without its newline that does not parse is a write cut short
 * by a crash: reported as `truncatedTail`, not as a problem.
 */
export function parseJournalText(text: string): JournalReadResult {
  const entries: NumberedEntry[] = [];
  const problems: { line: number; message: string }[] = [];
  let truncatedTail = false;
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const last = i === lines.length - 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      if (last && !endsWithNewline) truncatedTail = true;
      else problems.push({ line: lineNo, message: 'not valid JSON' });
      return;
    }
    const problem = checkEntry(value);
    if (problem !== null) problems.push({ line: lineNo, message: problem });
    else entries.push({ line: lineNo, entry: value as JournalEntry });
  });
  return { entries, problems, truncatedTail };
}

/** Reads and parses one journal file. Never throws. */
export function readJournalFile(path: string): Result<JournalReadResult, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return err(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
  }
  return ok(parseJournalText(text));
}
