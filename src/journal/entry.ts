/** Schema version of one journal line; bump only with a reader that still accepts the old one. */
export const JOURNAL_VERSION = 1;

/**
 * One line of the decision journal: everything `decide()` was given and what it returned, so the decision can
 * be recomputed offline (`drbd-sentinel replay`). The engine's own types fill the generic slots; the journal
 * stores them as plain JSON (they are plain data by the engine's contract).
 */
export interface JournalEntry<O = unknown, M = unknown, P = unknown, D = unknown> {
  readonly v: typeof JOURNAL_VERSION;
  /** Wall-clock time of the decision, ISO 8601 UTC (for humans and correlation with logs). */
  readonly time: string;
  /** Monotonic clock reading of the decision (ms), as the observation saw it. */
  readonly monoMs: number;
  readonly node: string;
  /** Increasing per daemon run; gaps mean entries were not written (e.g. disk full). */
  readonly seq: number;
  /**
   * `answer`: an answer given outside the loop (the peer's prepare-handover / outdate request, DRBD's
   * fence-peer handler): `observation` holds the engine's question, `decision` its answer, `memory` and
   * `policy` are null. Absent (journals before it) or `decision`: one decision of the loop.
   */
  readonly kind?: 'decision' | 'answer';
  readonly observation: O;
  /** Engine memory before the decision (the input, not the updated memory). */
  readonly memory: M;
  /** Engine policy (derived from the configuration) the decision used. */
  readonly policy: P;
  readonly decision: D;
}
