/**
 * A small seeded pseudo-random generator (mulberry32) so every simulation is reproducible per seed.
 * Pure state machine: the same seed yields the same sequence on every platform.
 */
export class SeededRng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.nextU32() % n;
  }

  /** A 64-bit DRBD-style generation identifier as 16 upper-case hex digits, lowest bit clear. */
  uuid(): string {
    const hi = this.nextU32().toString(16).padStart(8, '0');
    const lo = (this.nextU32() & ~1) >>> 0;
    const s = (hi + lo.toString(16).padStart(8, '0')).toUpperCase();
    // Zero and UUID_JUST_CREATED are reserved values: never generate them.
    return s === '0000000000000000' || s === '0000000000000004' ? this.uuid() : s;
  }
}

/** A stable 32-bit hash of a string (FNV-1a), e.g. to derive a shared initial UUID from a resource name. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
