/**
 * A sliding anti-replay window over sequence numbers (the IPsec/DTLS scheme): accepts each sequence
 * number at most once, tolerates reordering within `size` of the highest seen, and rejects anything
 * older. Pure data structure, O(1) per check. One window per (sender, incarnation).
 */
export class ReplayWindow {
  private highest = 0;
  private readonly bits: Uint8Array;

  /** @param size how far behind the highest sequence number a late frame is still accepted. */
  constructor(readonly size = 1024) {
    this.bits = new Uint8Array(size);
  }

  /** The highest sequence number accepted so far (0 before the first). */
  get highestSeq(): number {
    return this.highest;
  }

  /**
   * Checks `seq` and records it when new. Returns `accepted`, `replayed` (already seen) or
   * `too-old` (behind the window, so it cannot be told apart from a replay).
   */
  check(seq: number): 'accepted' | 'replayed' | 'too-old' {
    if (seq > this.highest) {
      const advance = seq - this.highest;
      if (advance >= this.size) this.bits.fill(0);
      else for (let s = this.highest + 1; s < seq; s++) this.bits[s % this.size] = 0;
      this.bits[seq % this.size] = 1;
      this.highest = seq;
      return 'accepted';
    }
    if (this.highest - seq >= this.size || seq <= 0) return 'too-old';
    if (this.bits[seq % this.size] === 1) return 'replayed';
    this.bits[seq % this.size] = 1;
    return 'accepted';
  }
}
