/**
 * Writes golden cases as readable YAML: short actions on one line, notifications (long messages) as blocks.
 * Used by the journal → golden converter (scripts/journal-to-golden.ts); prettier formats the result.
 */
import { stringify } from 'yaml';
import type { Action } from '../../src/engine/index.js';

const flow = (value: unknown): string =>
  stringify(value, { collectionStyle: 'flow', lineWidth: 0, defaultStringType: 'PLAIN' }).trimEnd();

/** The `plan:` key and its list, indented by `indent` (pure). */
export function renderPlan(plan: readonly Action[], indent: string): string {
  if (plan.length === 0) return `${indent}plan: []`;
  const items = plan.map((a) => {
    if (a.kind !== 'notify') return `${indent}  - ${flow(a)}`;
    const body = stringify({ ...a }, { lineWidth: 0 })
      .trimEnd()
      .split('\n');
    return body.map((l, k) => `${indent}${k === 0 ? '  - ' : '    '}${l}`).join('\n');
  });
  return [`${indent}plan:`, ...items].join('\n');
}
