import type { Command } from 'commander';
import { EXIT } from '../common/errors.js';
import {
  answer,
  decide,
  type EngineMemory,
  type EnginePolicy,
  type Observation,
  type Question,
} from '../engine/index.js';
import { readJournalFile, renderReplayReport, replayEntries, type Recompute } from '../journal/index.js';
import { CliExit } from './program-exit.js';

/** Lines that are not entries are listed up to this many; the count covers them all. */
const MAX_LISTED_PROBLEMS = 10;

/** Test seam: how a journal entry's decision is recomputed (production: today's engine). */
export interface ReplayDeps {
  readonly recompute: Recompute;
}

/**
 * Today's engine on a journal entry: `decide(observation, memory, policy).decision`, or for an answer given
 * outside the loop (fence-peer, a peer's request) `answer(question)`. The journal holds them as
 * the plain JSON the engine's types are (no Maps, no classes), so the casts only restore the static types.
 */
export const engineRecompute: Recompute = (entry) =>
  entry.kind === 'answer'
    ? answer(entry.observation as Question)
    : decide(entry.observation as Observation, entry.memory as EngineMemory, entry.policy as EnginePolicy)
        .decision;

/**
 * `drbd-sentinel replay FILE [--verbose] [--json]`: re-runs today's engine on every decision of a journal file
 * and shows where it decides differently (reason, plan action kinds, per-resource reasons). Exit 0 when all
 * agree, 1 when any differs or cannot be recomputed or no line is a journal entry, 2 when the file cannot be
 * read (missing, not a regular file).
 */
export function registerReplayCommand(
  program: Command,
  deps: ReplayDeps = { recompute: engineRecompute },
): void {
  program
    .command('replay')
    .description("re-run today's engine on a decision journal and show where it decides differently")
    .argument('<file>', 'a journal file (journal.jsonl or a rotated journal.jsonl.N)')
    .option('-v, --verbose', 'also list the decisions that agree')
    .option('--json', 'print the comparison as one JSON document')
    .addHelpText(
      'after',
      `
Works offline: needs only the file, no daemon, no DRBD. A field incident's journal becomes a golden case:
scripts/journal-to-golden.ts (in a checkout) writes an entry as a test case (docs/testing.md).
Lines that are not journal entries are counted and skipped (the first ones listed); a file in which no line is
an entry is refused: "not a decision journal". Only regular files are read (streamed, any size).
Exit codes: 0 every decision agrees, 1 some differ or could not be recomputed, or not a decision journal,
2 unreadable file (missing, a directory, a FIFO, a device).`,
    )
    .action((file: string, opts: { verbose?: boolean; json?: boolean }) => {
      const read = readJournalFile(file);
      if (!read.ok) throw new CliExit(EXIT.USAGE, read.error);
      const { entries, problems, truncatedTail } = read.value;
      if (entries.length === 0) {
        const first = problems[0];
        const why =
          first === undefined
            ? 'it holds no lines'
            : `none of its lines is a journal entry (${problems.length} line(s), the first at line ${first.line}: ${first.message})`;
        throw new CliExit(EXIT.FAILURE, `not a decision journal: ${file}: ${why}`);
      }
      const report = replayEntries(entries, deps.recompute);
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ file, truncatedTail, problems, ...report }, null, 2)}\n`);
      } else {
        for (const p of problems.slice(0, MAX_LISTED_PROBLEMS))
          process.stderr.write(`${file}:${p.line}: skipped: ${p.message}\n`);
        const first = problems[0];
        if (first !== undefined)
          process.stderr.write(
            `${file}: ${problems.length} line(s) are not journal entries (first at line ${first.line}), skipped${problems.length > MAX_LISTED_PROBLEMS ? `; the first ${MAX_LISTED_PROBLEMS} are listed` : ''}\n`,
          );
        if (truncatedTail)
          process.stderr.write(`${file}: last line is truncated (written during a crash): ignored\n`);
        process.stdout.write(renderReplayReport(report, { verbose: opts.verbose === true }));
      }
      if (report.different > 0 || report.errors > 0)
        throw new CliExit(EXIT.FAILURE, opts.json === true ? '' : 'decisions differ from the journal');
    });
}
