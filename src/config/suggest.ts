/** Edit distance counting insertions, deletions, substitutions and adjacent swaps (`nmae`). Pure. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}

/**
 * The closest candidate to `word` when it is close enough to be a likely typo (or the same word in
 * another case, or with `_` for `-`), else undefined. Pure.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/_/g, '-');
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  const w = norm(word);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const n = norm(c);
    // The distance is at least the length difference: a 500,000-character value is never a typo of a
    // key, and comparing it letter by letter would cost seconds.
    const prefix = n.length >= 3 && (w.startsWith(n) || n.startsWith(w));
    if (Math.abs(n.length - w.length) > limit && !prefix) continue;
    // A longer or shorter spelling of the same word (`warning` for `warn`) counts as close.
    const d = n === w ? 0 : prefix ? 1 : editDistance(w, n);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean "x"?)` or an empty string. Pure. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const m = closestMatch(word, candidates);
  return m === undefined ? '' : ` (did you mean "${m}"?)`;
}
