/**
 * Journal → golden case: turns decisions of a real run's journal (the daemon's journal.jsonl, or an excerpt of
 * a field report's) into golden case files for test/engine/golden/. The case holds the entry's observation,
 * memory and policy in full and expects the full plan and every reason code. `scripts/journal-to-golden.ts`
 * is the command line; docs/testing.md says how a field report becomes a regression test.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { format } from 'prettier';
import { stringify } from 'yaml';
import {
  decide,
  explain,
  type Decision,
  type EngineMemory,
  type EnginePolicy,
  type Observation,
} from '../../src/engine/index.js';
import { readJournalFile, type JournalEntry, type NumberedEntry } from '../../src/journal/index.js';
import { renderPlan } from './golden-yaml.js';

/** Which plan the case expects: what the node decided then, or what today's engine decides. */
export type ExpectFrom = 'recorded' | 'today';

export interface CaseOptions {
  readonly name?: string;
  readonly description?: string;
  readonly expect?: ExpectFrom;
  /** Where the entry came from, for the description (e.g. `journal.jsonl line 12`). */
  readonly source: string;
}

export interface GoldenCase {
  readonly yaml: string;
  /** Today's engine decides differently from the recorded decision (reason, plan or a resource's reason). */
  readonly differs: boolean;
  readonly recorded: Decision;
  readonly today: Decision;
}

function comparable(d: Decision): unknown {
  return { plan: d.plan, reason: d.reason, resources: d.resources.map((r) => [r.resource, r.reason]) };
}

/** The case of one journal entry (pure but for prettier's formatting). */
export async function goldenCaseFromEntry(entry: JournalEntry, options: CaseOptions): Promise<GoldenCase> {
  const observation = entry.observation as Observation;
  const memory = entry.memory as EngineMemory;
  const policy = entry.policy as EnginePolicy;
  const recorded = entry.decision as Decision;
  const today = decide(observation, memory, policy).decision;
  const differs = JSON.stringify(comparable(recorded)) !== JSON.stringify(comparable(today));
  const d = options.expect === 'today' ? today : recorded;

  const { peer, ...obs } = observation;
  const { report, ...peerRest } = peer;
  const head = {
    name: options.name ?? `${entry.node} ${entry.time} seq ${entry.seq}: ${d.reason}`,
    description: `${options.description ?? explain(d)}\nFrom ${options.source} (node ${entry.node}, ${entry.time}, seq ${entry.seq}).\n`,
    policy,
    memory,
    observation: { ...obs, peer: peerRest, peerReport: report },
  };
  const resources = Object.fromEntries(d.resources.map((r) => [r.resource, r.reason]));
  const tail = [
    'expect:',
    renderPlan(d.plan, '  '),
    `  reason: ${d.reason}`,
    ...(d.resources.some((r) => r.reason !== d.reason)
      ? [`  resources: ${stringify(resources, { collectionStyle: 'flow' }).trimEnd()}`]
      : []),
  ].join('\n');
  const text = `${stringify(head, { lineWidth: 0, blockQuote: 'literal' })}${tail}\n`;
  return {
    yaml: await format(text, { parser: 'yaml', singleQuote: true, printWidth: 110 }),
    differs,
    recorded,
    today,
  };
}

/** Picks entries by 1-based line, by seq, at a time (the first entry at or after it), or in a time range. */
export type Selector =
  | { readonly line: number }
  | { readonly seq: number }
  | { readonly at: string }
  | { readonly from: string; readonly to: string };

export function selectEntries(entries: readonly NumberedEntry[], s: Selector): NumberedEntry[] {
  if ('line' in s) return entries.filter((e) => e.line === s.line);
  if ('seq' in s) return entries.filter((e) => e.entry.seq === s.seq);
  if ('at' in s) {
    const t = Date.parse(s.at);
    const first = entries.find((e) => Date.parse(e.entry.time) >= t);
    return first === undefined ? [] : [first];
  }
  const [from, to] = [Date.parse(s.from), Date.parse(s.to)];
  return entries.filter((e) => Date.parse(e.entry.time) >= from && Date.parse(e.entry.time) <= to);
}

export const USAGE = `usage: tsx scripts/journal-to-golden.ts JOURNAL (--line N | --seq N | --at TIME | --from TIME --to TIME)
         [--out FILE | --out-dir DIR] [--name NAME] [--description TEXT] [--expect recorded|today]
  --line N         the entry on line N of the journal (as \`drbd-sentinel replay\` numbers them)
  --seq N          the entry with sequence number N (must be unique in the file)
  --at TIME        the first entry at or after TIME (ISO 8601, e.g. 2026-12-07T07:56:35Z)
  --from/--to      every entry in the time range (needs --out-dir: one case per entry)
  --out FILE       write the case there (default: standard output)
  --out-dir DIR    write each case as DIR/journal-<node>-<line>.yaml
  --expect         recorded (default): the plan the node decided then; today: what today's engine decides
Exit codes: 0 written, 1 today's engine decides differently from the journal (the case is still written:
it fails until the engine or the expectation is changed), 2 usage error or unreadable journal.`;

export interface RunResult {
  readonly code: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

/** The command line (scripts/journal-to-golden.ts); never throws for bad input, says why and exits 2. */
export async function runJournalToGolden(argv: readonly string[]): Promise<RunResult> {
  const usage = (why: string): RunResult => ({ code: 2, stdout: '', stderr: `${why}\n${USAGE}\n` });
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        line: { type: 'string' },
        seq: { type: 'string' },
        at: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
        'out-dir': { type: 'string' },
        name: { type: 'string' },
        description: { type: 'string' },
        expect: { type: 'string' },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values: v, positionals } = args;
  if (positionals.length !== 1) return usage('exactly one journal file expected');
  const file = positionals[0]!;
  const chosen = (['line', 'seq', 'at', 'from'] as const).filter((k) => v[k] !== undefined);
  if (chosen.length !== 1) return usage('give exactly one of --line, --seq, --at, --from');
  if ((v.from === undefined) !== (v.to === undefined)) return usage('--from and --to go together');
  const int = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : NaN);
  const time = (s: string | undefined) => s !== undefined && !Number.isNaN(Date.parse(s));
  let selector: Selector;
  if (v.line !== undefined) selector = { line: int(v.line) };
  else if (v.seq !== undefined) selector = { seq: int(v.seq) };
  else if (v.at !== undefined) selector = { at: v.at };
  else selector = { from: v.from!, to: v.to! };
  if ('line' in selector && Number.isNaN(selector.line)) return usage(`--line: not a number: ${v.line}`);
  if ('seq' in selector && Number.isNaN(selector.seq)) return usage(`--seq: not a number: ${v.seq}`);
  for (const k of ['at', 'from', 'to'] as const)
    if (v[k] !== undefined && !time(v[k])) return usage(`--${k}: not an ISO 8601 time: ${v[k]}`);
  if (v.expect !== undefined && v.expect !== 'recorded' && v.expect !== 'today')
    return usage(`--expect: recorded or today, not ${v.expect}`);
  if (v.out !== undefined && v['out-dir'] !== undefined) return usage('give --out or --out-dir, not both');

  const read = readJournalFile(file);
  if (!read.ok) return usage(read.error);
  // Golden cases specify decide(); answers outside the loop (kind answer) are replayed, not converted.
  const decisions = read.value.entries.filter((e) => e.entry.kind !== 'answer');
  const picked = selectEntries(decisions, selector);
  if (picked.length === 0) return usage(`${file}: no journal entry matches`);
  if ('seq' in selector && picked.length > 1)
    return usage(
      `${file}: seq ${selector.seq} is on lines ${picked.map((p) => p.line).join(', ')} (daemon restarts): use --line`,
    );
  if (picked.length > 1 && v['out-dir'] === undefined)
    return usage(`${picked.length} entries match: give --out-dir to write one case each`);
  if (picked.length > 1 && (v.name !== undefined || v.description !== undefined))
    return usage('--name and --description name one case; not with a range');

  let stdout = '';
  let stderr = '';
  let differs = false;
  for (const { line, entry } of picked) {
    const c = await goldenCaseFromEntry(entry, {
      source: `${file} line ${line}`,
      ...(v.name !== undefined ? { name: v.name } : {}),
      ...(v.description !== undefined ? { description: v.description } : {}),
      expect: (v.expect as ExpectFrom | undefined) ?? 'recorded',
    });
    if (c.differs) {
      differs = true;
      stderr += `line ${line}: today's engine decides ${c.today.reason} [${c.today.plan.map((a) => a.kind).join(', ')}], the journal recorded ${c.recorded.reason} [${c.recorded.plan.map((a) => a.kind).join(', ')}]\n`;
    }
    const target =
      v['out-dir'] !== undefined ? join(v['out-dir'], `journal-${entry.node}-${line}.yaml`) : v.out;
    if (target === undefined) stdout += c.yaml;
    else {
      writeFileSync(target, c.yaml);
      stderr += `wrote ${target}\n`;
    }
  }
  return { code: differs ? 1 : 0, stdout, stderr };
}
