import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';

describe('VirtualClock', () => {
  it('fires timers in time then creation order, only when advanced', () => {
    const clock = new VirtualClock(100);
    const fired: string[] = [];
    clock.setTimer(50, () => fired.push('b'));
    clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(50, () => fired.push('c'));
    expect(fired).toEqual([]);
    clock.advance(49);
    expect(fired).toEqual(['a']);
    clock.advance(1);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.nowMs()).toBe(150);
  });

  it('cancels timers and runs timers scheduled by timers', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const cancel = clock.setTimer(5, () => fired.push(5));
    clock.setTimer(1, () => clock.setTimer(1, () => fired.push(2)));
    cancel();
    clock.advance(10);
    expect(fired).toEqual([2]);
    expect(clock.nextTimerAtMs()).toBeNull();
  });
});
