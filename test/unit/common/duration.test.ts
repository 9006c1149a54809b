import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from '../../../src/common/duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['200ms', 200],
    ['2s', 2000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toEqual({ ok: true, value: ms });
  });

  it.each(['', '2', 's', '-1s', '2 seconds', '1d', '1e3s'])('rejects %j with a hint', (text) => {
    const r = parseDurationMs(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('e.g. 200ms');
  });

  it('round-trips through formatDurationMs', () => {
    for (const ms of [1, 200, 1000, 1500, 60_000, 90_000, 3_600_000]) {
      expect(parseDurationMs(formatDurationMs(ms))).toEqual({ ok: true, value: ms });
    }
  });
});
