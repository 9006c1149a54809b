import { err, ok, type Result } from '../common/result.js';
import type { JournalEntry } from './entry.js';
import type { NumberedEntry } from './reader.js';

/**
 * The comparable part of a decision: its reason, its plan's action kinds, and each resource's reason; of an
 * answer (journal entry kind `answer`): its reason and its step with the code it carries.
 */
export interface DecisionDigest {
  readonly reason: string;
  readonly kinds: readonly string[];
  readonly resources: readonly { readonly resource: string; readonly reason: string }[];
}

/**
 * Extracts the digest of a decision (pure, total): `reason` (string), `plan` (array of `{kind}`), and, when
 * present, `resources` (array of `{resource, reason}`), the shape of the engine's Decision.
 */
export function digestDecision(decision: unknown): Result<DecisionDigest, string> {
  if (typeof decision !== 'object' || decision === null) return err('decision is not an object');
  const d = decision as Record<string, unknown>;
  if (typeof d.reason !== 'string') return err('decision has no reason');
  // An answer given outside the loop (fence-peer, a peer's request): its step, with the code it carries.
  if (typeof d.step === 'string' && !('plan' in d)) {
    const detail = [d.exitCode, d.outcome, d.code, d.delayMs].filter((x) => x !== undefined).join(' ');
    return ok({ reason: d.reason, kinds: [detail === '' ? d.step : `${d.step} ${detail}`], resources: [] });
  }
  if (!Array.isArray(d.plan)) return err('decision has no plan');
  const kinds: string[] = [];
  for (const a of d.plan as unknown[]) {
    const kind = typeof a === 'object' && a !== null ? (a as { kind?: unknown }).kind : undefined;
    if (typeof kind !== 'string') return err('plan action without a kind');
    kinds.push(kind);
  }
  const resources: { resource: string; reason: string }[] = [];
  if (Array.isArray(d.resources))
    for (const r of d.resources as unknown[]) {
      const rr = (typeof r === 'object' && r !== null ? r : {}) as { resource?: unknown; reason?: unknown };
      if (typeof rr.resource === 'string' && typeof rr.reason === 'string')
        resources.push({ resource: rr.resource, reason: rr.reason });
    }
  return ok({ reason: d.reason, kinds, resources });
}

/** True when two digests agree on reason, plan kinds (in order) and per-resource reasons (pure). */
export function sameDigest(a: DecisionDigest, b: DecisionDigest): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Recomputes the decision of one journal entry with today's engine; may throw (a bug is reported, not fatal). */
export type Recompute = (entry: JournalEntry) => unknown;

export type ReplayItem =
  | { readonly line: number; readonly time: string; readonly status: 'same'; readonly digest: DecisionDigest }
  | {
      readonly line: number;
      readonly time: string;
      readonly status: 'different';
      readonly recorded: DecisionDigest;
      readonly recomputed: DecisionDigest;
    }
  | { readonly line: number; readonly time: string; readonly status: 'error'; readonly message: string };

export interface ReplayReport {
  readonly items: readonly ReplayItem[];
  readonly same: number;
  readonly different: number;
  readonly errors: number;
}

/** Re-runs every entry through `recompute` and compares with what was recorded. Never throws. */
export function replayEntries(entries: readonly NumberedEntry[], recompute: Recompute): ReplayReport {
  const items: ReplayItem[] = entries.map(({ line, entry }) => {
    const time = entry.time;
    const recorded = digestDecision(entry.decision);
    if (!recorded.ok) return { line, time, status: 'error', message: `recorded ${recorded.error}` };
    let fresh: unknown;
    try {
      fresh = recompute(entry);
    } catch (e) {
      return {
        line,
        time,
        status: 'error',
        message: `engine threw: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
    const recomputed = digestDecision(fresh);
    if (!recomputed.ok) return { line, time, status: 'error', message: `recomputed ${recomputed.error}` };
    return sameDigest(recorded.value, recomputed.value)
      ? { line, time, status: 'same', digest: recorded.value }
      : { line, time, status: 'different', recorded: recorded.value, recomputed: recomputed.value };
  });
  const count = (s: ReplayItem['status']) => items.filter((i) => i.status === s).length;
  return { items, same: count('same'), different: count('different'), errors: count('error') };
}

function describe(d: DecisionDigest): string {
  const plan = d.kinds.length === 0 ? 'no action' : d.kinds.join(', ');
  const res = d.resources.map((r) => `${r.resource}=${r.reason}`).join(' ');
  return `${d.reason}: ${plan}${res === '' ? '' : ` [${res}]`}`;
}

/** Renders the differences and a summary line (pure). Entries that agree are not listed unless `verbose`. */
export function renderReplayReport(
  report: ReplayReport,
  options: { readonly verbose?: boolean } = {},
): string {
  const out: string[] = [];
  for (const item of report.items) {
    switch (item.status) {
      case 'same':
        if (options.verbose === true)
          out.push(`line ${item.line} ${item.time}: same      ${describe(item.digest)}`);
        break;
      case 'different':
        out.push(`line ${item.line} ${item.time}: DIFFERENT`);
        out.push(`  recorded:   ${describe(item.recorded)}`);
        out.push(`  recomputed: ${describe(item.recomputed)}`);
        break;
      case 'error':
        out.push(`line ${item.line} ${item.time}: ERROR ${item.message}`);
        break;
    }
  }
  out.push(
    `${report.items.length} decision(s) replayed: ${report.same} same, ${report.different} different, ${report.errors} error(s)`,
  );
  return `${out.join('\n')}\n`;
}
