/** docs/decisions.md must list every reason code of the catalogue (and no unknown one). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ANSWER_REASONS, REASON_CODES, REASONS, isReasonCode } from '../../src/engine/index.js';

const doc = readFileSync(new URL('../../docs/decisions.md', import.meta.url), 'utf8');

describe('docs/decisions.md', () => {
  it('has a table row for every reason code, with what the node and the operator do', () => {
    for (const code of REASON_CODES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` `));
      expect(row, `missing row for ${code}`).toBeDefined();
      expect(row).toContain(REASONS[code].node.slice(0, 30));
    }
  });

  it('has a row for every reason code of the answers outside the loop', () => {
    for (const [code, text] of Object.entries(ANSWER_REASONS)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` `));
      expect(row, `missing row for ${code}`).toContain(text.slice(0, 30));
    }
  });

  it('names no unknown code in its tables', () => {
    const codes = [...doc.matchAll(/^\| `([A-Z_]+)` /gm)].map((m) => m[1] ?? '');
    expect(codes.filter((c) => !isReasonCode(c) && !(c in ANSWER_REASONS))).toEqual([]);
  });
});
