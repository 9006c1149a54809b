import type { Logger } from '../common/log.js';

/**
 * Logs at most one line per key (a reason code) per `intervalMs`, so a flood of bad packets costs a
 * bounded number of log lines; the next line of a key says how many were suppressed since its last
 * one. Keys must come from a bounded set (reason codes), the map is never pruned. Time is an argument.
 */
export class RateLimitedLog {
  private readonly keys = new Map<string, { lastAtMs: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Logs `msg` at warn level with `fields`, `reason: key` and `suppressed`, unless `key` logged recently. */
  warn(key: string, nowMs: number, fields: Record<string, unknown>, msg: string): void {
    const k = this.keys.get(key);
    if (k !== undefined && nowMs - k.lastAtMs < this.intervalMs) {
      k.suppressed++;
      return;
    }
    this.log.warn({ ...fields, reason: key, suppressed: k?.suppressed ?? 0 }, msg);
    this.keys.set(key, { lastAtMs: nowMs, suppressed: 0 });
  }
}
