import { err, ok, type Result } from './result.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses durations written like `200ms`, `2s`, `1.5s`, `5m`, `1h` into milliseconds (integer). */
export function parseDurationMs(text: string): Result<number, string> {
  const match = DURATION_RE.exec(text.trim());
  if (!match) return err(`"${text}" is not a duration: write a number with a unit, e.g. 200ms, 2s, 5m, 1h`);
  const value = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  if (!Number.isFinite(value)) return err(`"${text}" is too large`);
  return ok(Math.round(value));
}

/** Formats milliseconds the way a config file would write them (`1500ms`, `2s`, `5m`). */
export function formatDurationMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms >= 3_600_000) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0 && ms >= 1_000) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
