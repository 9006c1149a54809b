/** The decision journal: JSON lines with rotation, a tolerant reader, and offline replay. */
export { JOURNAL_VERSION, type JournalEntry } from './entry.js';
export { parseJournalText, readJournalFile, type JournalReadResult, type NumberedEntry } from './reader.js';
export {
  digestDecision,
  renderReplayReport,
  replayEntries,
  sameDigest,
  type DecisionDigest,
  type Recompute,
  type ReplayItem,
  type ReplayReport,
} from './replay.js';
export { JournalWriter, type JournalWriterOptions } from './writer.js';
export { JOURNAL_FILE, journalOptionsFromConfig } from './from-config.js';
