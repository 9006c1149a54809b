/**
 * Journal → golden case (test tooling): `tsx scripts/journal-to-golden.ts JOURNAL --line N --out FILE`.
 * The logic and its usage text live in test/engine/journal-to-golden.ts; docs/testing.md has the walk-through.
 */
import { runJournalToGolden } from '../test/engine/journal-to-golden.js';

const result = await runJournalToGolden(process.argv.slice(2));
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.code;
