import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import { SerializedLoop, type LoopTrigger } from '../../../src/daemon/serialized-loop.js';

const flush = () => new Promise((r) => setImmediate(r));

describe('SerializedLoop', () => {
  it('never runs two steps at once and coalesces triggers that arrive meanwhile', async () => {
    const clock = new VirtualClock();
    const seen: LoopTrigger[][] = [];
    let active = 0;
    let maxActive = 0;
    let release: () => void = () => {};
    const loop = new SerializedLoop({
      clock,
      tickIntervalMs: 1000,
      onUnexpectedError: () => {},
      step: async (triggers) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        seen.push([...triggers].sort());
        if (seen.length === 1) await new Promise<void>((r) => (release = r));
        active -= 1;
        return { healthy: true };
      },
    });
    loop.start();
    loop.trigger('drbd');
    loop.trigger('peer');
    loop.trigger('drbd');
    await flush();
    expect(seen).toEqual([['start']]);
    release();
    await loop.whenIdle();
    expect(seen).toEqual([['start'], ['drbd', 'peer']]);
    expect(maxActive).toBe(1);
    await loop.stop();
  });

  it('ticks on the clock and records the last healthy iteration', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const loop = new SerializedLoop({
      clock,
      tickIntervalMs: 500,
      onUnexpectedError: () => {},
      step: async () => ({ healthy: ++n !== 3 }),
    });
    loop.start();
    await loop.whenIdle();
    expect(loop.lastHealthyAt()).toBe(0);
    clock.advance(500);
    await loop.whenIdle();
    expect(loop.lastHealthyAt()).toBe(500);
    clock.advance(500); // third iteration is unhealthy
    await loop.whenIdle();
    expect(loop.lastHealthyAt()).toBe(500);
    expect(loop.iterationCount()).toBe(3);
    await loop.stop();
    clock.advance(5000);
    await flush();
    expect(loop.iterationCount()).toBe(3);
  });

  it('reports a throwing step and keeps going, without counting it healthy', async () => {
    const clock = new VirtualClock();
    const errors: unknown[] = [];
    let calls = 0;
    const loop = new SerializedLoop({
      clock,
      tickIntervalMs: 100,
      onUnexpectedError: (e) => errors.push(e),
      step: async () => {
        calls += 1;
        if (calls === 1) throw new Error('bug');
        return { healthy: true };
      },
    });
    loop.start();
    await loop.whenIdle();
    expect(errors).toHaveLength(1);
    expect(loop.lastHealthyAt()).toBeNull();
    clock.advance(100);
    await loop.whenIdle();
    expect(loop.lastHealthyAt()).toBe(100);
    await loop.stop();
  });

  it('runs at the deadline it is given, and a new deadline replaces the old one', async () => {
    const clock = new VirtualClock();
    const seen: { atMs: number; triggers: LoopTrigger[] }[] = [];
    const loop = new SerializedLoop({
      clock,
      tickIntervalMs: 1000,
      onUnexpectedError: () => {},
      step: async (triggers) => {
        seen.push({ atMs: clock.nowMs(), triggers: [...triggers] });
        return { healthy: true };
      },
    });
    loop.start();
    await loop.whenIdle();
    loop.wakeAt(700);
    loop.wakeAt(350);
    clock.advance(999);
    await loop.whenIdle();
    expect(seen.filter((s) => s.triggers.includes('deadline')).map((s) => s.atMs)).toEqual([350]);
    loop.wakeAt(1_500);
    loop.wakeAt(null);
    clock.advance(600);
    await loop.whenIdle();
    expect(seen.filter((s) => s.triggers.includes('deadline'))).toHaveLength(1);
    await loop.stop();
  });
});
