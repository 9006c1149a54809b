/**
 * Loss rate of one link from the peer's per-link heartbeat counter: of the last `size` counter values
 * (up to the highest seen), the fraction that never arrived. Late arrivals within the window still
 * count. Pure data structure.
 */
export class LossTracker {
  private first = 0;
  private highest = 0;
  private readonly slots: Float64Array;

  constructor(private readonly size = 100) {
    this.slots = new Float64Array(size).fill(-1);
  }

  record(linkSeq: number): void {
    if (linkSeq <= 0) return;
    if (this.first === 0 || linkSeq < this.first) this.first = linkSeq;
    if (linkSeq > this.highest) this.highest = linkSeq;
    if (this.highest - linkSeq < this.size) this.slots[linkSeq % this.size] = linkSeq;
  }

  /** Fraction lost in the window, or null until two heartbeats arrived. */
  lossRate(): number | null {
    if (this.highest === 0 || this.highest === this.first) return null;
    const lowest = Math.max(this.first, this.highest - this.size + 1);
    const expected = this.highest - lowest + 1;
    let received = 0;
    for (const v of this.slots) if (v >= lowest && v <= this.highest) received++;
    return Math.max(0, Math.min(1, 1 - received / expected));
  }

  reset(): void {
    this.first = 0;
    this.highest = 0;
    this.slots.fill(-1);
  }
}
