import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import type { FenceOutcome } from '../../../src/executor/ports.js';
import { fenceOnce } from '../../../src/fencing/fence-once.js';

/** A handler chain that takes `ms` on the clock and counts its runs. */
function chain(clock: VirtualClock, ms: number, outcome: FenceOutcome) {
  const runs: string[] = [];
  return {
    runs,
    port: {
      fencePeer: (reason: string) =>
        new Promise<FenceOutcome>((resolve) => {
          runs.push(reason);
          clock.setTimer(ms, () => resolve(outcome));
        }),
    },
  };
}

const fenced: FenceOutcome = { status: 'fenced', handlers: [], detail: 'bravo powered off' };
const failed: FenceOutcome = { status: 'failed', handlers: [], detail: 'no handler fenced bravo' };

describe('fenceOnce (one node fence per loss episode)', () => {
  it('two concurrent callers (engine action and DRBD handler) run the handler chain once and share its outcome', async () => {
    const clock = new VirtualClock();
    const c = chain(clock, 1_000, fenced);
    const f = fenceOnce({ inner: () => c.port, clock, heardSince: () => false });
    const a = f.fencePeer('engine: peer lost');
    clock.advance(10);
    const b = f.fencePeer('fence-peer r0: peer unreachable');
    clock.advance(1_000);
    expect(await a).toEqual(fenced);
    expect(await b).toEqual(fenced);
    expect(c.runs).toEqual(['engine: peer lost']);
    expect(f.runs).toBe(1);
  });

  it('a fence that succeeded answers later callers at once while the peer has not been heard since', async () => {
    const clock = new VirtualClock();
    const c = chain(clock, 100, fenced);
    let heardAt: number | null = null;
    const f = fenceOnce({
      inner: () => c.port,
      clock,
      heardSince: (t) => heardAt !== null && heardAt > t,
    });
    const first = f.fencePeer('first');
    clock.advance(100);
    await first;
    clock.advance(5_000);
    expect((await f.fencePeer('second')).status).toBe('fenced');
    expect(c.runs).toEqual(['first']);
    // The peer came back and was lost again: a new episode, the handlers run again.
    heardAt = clock.nowMs();
    clock.advance(1);
    const third = f.fencePeer('third');
    clock.advance(100);
    expect((await third).status).toBe('fenced');
    expect(c.runs).toEqual(['first', 'third']);
  });

  it('a failed fence is not remembered: the next caller runs the chain again', async () => {
    const clock = new VirtualClock();
    const c = chain(clock, 100, failed);
    const f = fenceOnce({ inner: () => c.port, clock, heardSince: () => false });
    const a = f.fencePeer('a');
    clock.advance(100);
    expect((await a).status).toBe('failed');
    const b = f.fencePeer('b');
    clock.advance(100);
    expect((await b).status).toBe('failed');
    expect(c.runs).toEqual(['a', 'b']);
  });
});
