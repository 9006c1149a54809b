import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import { LoopProgress, Watchdog, watchdogIntervalMs } from '../../../src/systemd/index.js';

describe('watchdogIntervalMs', () => {
  it('reads WATCHDOG_USEC in milliseconds', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '10000000' }, 42)).toBe(10_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '42' }, 42)).toBe(10_000);
  });
  it('is off when unset, invalid, zero, or meant for another process', () => {
    expect(watchdogIntervalMs({}, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'abc' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '-5' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '7' }, 42)).toBeNull();
  });
});

describe('Watchdog', () => {
  it('pings at half the interval while the loop makes progress, and withholds pings when it stalls', () => {
    const clock = new VirtualClock();
    const progress = new LoopProgress(clock, 3_000);
    const pings: number[] = [];
    const wd = new Watchdog({
      clock,
      intervalMs: 10_000,
      isHealthy: () => progress.isHealthy(),
      ping: () => void pings.push(clock.nowMs()),
    });
    expect(wd.periodMs).toBe(5_000);
    wd.start();
    wd.start(); // idempotent

    // No cycle completed yet: not healthy, no ping (READY and pings follow the first complete observation).
    clock.advance(5_000);
    expect(pings).toEqual([]);

    // A loop cycling every second keeps the watchdog fed.
    for (let t = 0; t < 10; t++) {
      progress.markProgress();
      clock.advance(1_000);
    }
    expect(pings).toEqual([10_000, 15_000]);

    // The loop hangs: the next checks withhold the ping, so systemd's 10 s timer runs out.
    clock.advance(10_000);
    expect(pings).toEqual([10_000, 15_000]);
    expect(wd.counts).toEqual({ pings: 2, withheld: 3 });

    // It recovers.
    for (let t = 0; t < 5; t++) {
      progress.markProgress();
      clock.advance(1_000);
    }
    expect(pings).toEqual([10_000, 15_000, 30_000]);

    wd.stop();
    progress.markProgress();
    clock.advance(20_000);
    expect(pings).toHaveLength(3);
  });

  it('treats a throwing health predicate as unhealthy and survives a failing ping', () => {
    const clock = new VirtualClock();
    let calls = 0;
    const wd = new Watchdog({
      clock,
      intervalMs: 2_000,
      isHealthy: () => {
        throw new Error('bug');
      },
      ping: () => void calls++,
    });
    wd.start();
    clock.advance(4_000);
    expect(calls).toBe(0);
    const wd2 = new Watchdog({
      clock,
      intervalMs: 2_000,
      isHealthy: () => true,
      ping: () => Promise.reject(new Error('tool missing')),
    });
    wd2.start();
    clock.advance(4_000);
    expect(wd2.counts.pings).toBe(4);
  });
});
