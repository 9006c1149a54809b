import { join } from 'node:path';
import type { JournalConfig } from '../config/index.js';

/** File name of the live journal inside the state directory. */
export const JOURNAL_FILE = 'journal.jsonl';

/** Writer settings from the configuration's `journal:` section and `state-dir` (pure). */
export function journalOptionsFromConfig(
  journal: JournalConfig,
  stateDir: string,
): { readonly path: string; readonly maxBytes: number; readonly keep: number } {
  return {
    path: join(stateDir, JOURNAL_FILE),
    maxBytes: journal.maxSizeMb * 1024 * 1024,
    keep: journal.keep,
  };
}
