/**
 * Phi-accrual suspicion (Hayashibara et al., 2004) with the logistic approximation of the normal CDF
 * that Akka and Cassandra use. Pure.
 *
 * @param silenceMs time since the last arrival
 * @param meanMs mean inter-arrival time
 * @param stdDevMs standard deviation of inter-arrival times (callers floor it)
 * @returns phi = -log10(P(an arrival takes longer than silenceMs)); 0 for no suspicion, grows without bound.
 */
export function phi(silenceMs: number, meanMs: number, stdDevMs: number): number {
  const y = (silenceMs - meanMs) / stdDevMs;
  const exponent = -y * (1.5976 + 0.070566 * y * y);
  // Two branches keep the result finite and accurate on both tails: above the mean, -log10(e / (1 + e))
  // is computed in log space so a long silence gives a large finite number, not Infinity.
  if (silenceMs > meanMs) return -exponent / Math.LN10 + Math.log10(1 + Math.exp(exponent));
  const e = Math.exp(exponent);
  return -Math.log10(1 - 1 / (1 + e));
}

/** Running statistics over the last `size` inter-arrival intervals of one link. */
export class ArrivalWindow {
  private readonly samples: number[] = [];

  constructor(private readonly size = 100) {}

  get count(): number {
    return this.samples.length;
  }

  add(intervalMs: number): void {
    this.samples.push(intervalMs);
    if (this.samples.length > this.size) this.samples.shift();
  }

  mean(): number {
    let sum = 0;
    for (const s of this.samples) sum += s;
    return this.samples.length === 0 ? 0 : sum / this.samples.length;
  }

  stdDev(): number {
    const n = this.samples.length;
    if (n < 2) return 0;
    const m = this.mean();
    let sq = 0;
    for (const s of this.samples) sq += (s - m) * (s - m);
    return Math.sqrt(sq / n);
  }

  clear(): void {
    this.samples.length = 0;
  }
}
