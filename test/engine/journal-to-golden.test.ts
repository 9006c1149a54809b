/**
 * The journal → golden converter on an excerpt of a real run: the alpha journal of the netns "all links cut"
 * scenario, written by an earlier engine. Its line 9 records a second fence-peer, planned after the peer was
 * heard again on one link and its outdate had failed as unreachable; today's engine no longer plans it. That
 * disagreement is what a field report's regression case looks like.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { judge, parseGoldenSpec } from './golden-spec.js';
import { runJournalToGolden } from './journal-to-golden.js';

const journal = join(
  dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'journal-all-links-cut-alpha.jsonl',
);
const out = mkdtempSync(join(tmpdir(), 'journal-to-golden-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const loadCase = (path: string) => parseGoldenSpec(parse(readFileSync(path, 'utf8')), path);

describe('journal → golden case', () => {
  it('converts every entry of a time range; each case holds the full inputs and passes, but the one today decides differently', async () => {
    const r = await runJournalToGolden([
      journal,
      '--from',
      '2026-12-07T07:56:00Z',
      '--to',
      '2026-12-07T07:57:00Z',
      '--out-dir',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^line 9: today's engine decides OUTDATE_PEER_FAILED \[notify, notify\], the journal recorded OUTDATE_PEER_FAILED \[notify, fence-peer, notify\]$/m,
    );
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(10);
    for (const f of files) {
      const { actual, expected } = judge(loadCase(join(out, f)));
      if (f === 'journal-alpha-9.yaml') {
        expect(expected.plan.map((a) => (a as { kind: string }).kind)).toEqual([
          'notify',
          'fence-peer',
          'notify',
        ]);
        expect(actual.plan.map((a) => a.kind)).toEqual(['notify', 'notify']);
      } else expect(actual, f).toEqual(expected);
    }
  });

  it('writes one entry with its name and the plan of today, and that case passes', async () => {
    const file = join(out, 'line9.yaml');
    const r = await runJournalToGolden([
      journal,
      '--line',
      '9',
      '--expect',
      'today',
      '--out',
      file,
      '--name',
      'x',
    ]);
    expect(r.code).toBe(1);
    const spec = loadCase(file);
    expect(spec.name).toBe('x');
    expect(spec.description).toContain('journal-all-links-cut-alpha.jsonl line 9 (node alpha');
    expect(spec.observation.peer?.reachable).toBe(true);
    expect(spec.memory?.fence?.status).toBe('succeeded');
    expect(spec.policy?.fencing).toBe('stonith');
    const { actual, expected } = judge(spec);
    expect(actual).toEqual(expected);
    expect(actual.reason).toBe('OUTDATE_PEER_FAILED');
  });

  it('prints one case to standard output, selected by seq or time', async () => {
    const bySeq = await runJournalToGolden([journal, '--seq', '2']);
    const byTime = await runJournalToGolden([journal, '--at', '2026-12-07T07:56:32Z']);
    expect(bySeq.code).toBe(0);
    expect(byTime.stdout).toBe(bySeq.stdout);
    const spec = parseGoldenSpec(parse(bySeq.stdout), 'stdout');
    expect(spec.expect.reason).toBe('STARTUP_ELECT');
    expect(spec.expect.plan.map((a) => a.kind)).toEqual([
      'notify',
      'promote',
      'mount',
      'start-services',
      'add-addresses',
    ]);
  });

  it('refuses bad input with a reason and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [[journal], /exactly one of --line/],
      [[journal, '--line', 'x'], /--line: not a number: x/],
      [[journal, '--line', '99'], /no journal entry matches/],
      [[journal, '--at', 'yesterday'], /--at: not an ISO 8601 time/],
      [[journal, '--from', '2026-12-07T07:56:00Z', '--to', '2026-12-07T07:57:00Z'], /give --out-dir/],
      [[journal, '--line', '1', '--expect', 'tomorrow'], /--expect: recorded or today/],
      [[join(out, 'missing.jsonl'), '--line', '1'], /no such file/],
      [[journal, '--lines', '1'], /Unknown option '--lines'/],
    ];
    for (const [argv, message] of cases) {
      const r = await runJournalToGolden(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
