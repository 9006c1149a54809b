import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayWindow } from '../../../src/membership/replay-window.js';

describe('ReplayWindow', () => {
  it('accepts each sequence number once, tolerates reordering, rejects what fell behind', () => {
    const w = new ReplayWindow(8);
    expect(w.check(1)).toBe('accepted');
    expect(w.check(3)).toBe('accepted');
    expect(w.check(2)).toBe('accepted');
    expect(w.check(2)).toBe('replayed');
    expect(w.check(20)).toBe('accepted');
    expect(w.check(12)).toBe('too-old');
    expect(w.check(13)).toBe('accepted');
    expect(w.check(13)).toBe('replayed');
    expect(w.check(0)).toBe('too-old');
  });

  it('property: agrees with a set-based model (accepted iff new and within the window)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 400 }),
        fc.integer({ min: 1, max: 64 }),
        (seqs, size) => {
          const w = new ReplayWindow(size);
          const seen = new Set<number>();
          let highest = 0;
          for (const s of seqs) {
            const expected = seen.has(s)
              ? highest - s >= size
                ? 'too-old'
                : 'replayed'
              : highest - s >= size
                ? 'too-old'
                : 'accepted';
            expect(w.check(s)).toBe(expected);
            if (expected === 'accepted') {
              seen.add(s);
              highest = Math.max(highest, s);
            }
          }
        },
      ),
    );
  });
});
