import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import {
  answerOutdateRequest,
  outdateAnswerOf,
  outdateAnswerOfPeerOutcome,
} from '../../../src/fencing/outdate-request.js';
import { drive, FakeWorld, primaryState, secondaryState } from '../executor/fakes.js';

describe('answerOutdateRequest (the receiving node)', () => {
  const answer = (w: FakeWorld, clock = new VirtualClock(), timeoutMs = 10_000) =>
    drive(clock, answerOutdateRequest('r0', { drbd: w.drbdPort(), clock, timeoutMs }));

  it('outdates a disconnected UpToDate Secondary, once', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    expect(await answer(w)).toMatchObject({ outcome: 'done', code: 'outdated' });
    expect(await answer(w)).toMatchObject({ outcome: 'done', code: 'already-outdated' });
    expect(w.mutations()).toEqual(['drbd outdate r0']);
  });

  it('refuses on a Primary', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = primaryState();
    expect(await answer(w)).toMatchObject({ outcome: 'refused', code: 'peer-primary' });
    expect(w.mutations()).toEqual([]);
  });

  it('reports an Inconsistent disk without touching it', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = { ...secondaryState(), disks: ['Inconsistent'] };
    expect(await answer(w)).toMatchObject({ outcome: 'done', code: 'inconsistent' });
    expect(w.mutations()).toEqual([]);
  });

  it('waits for DRBD to notice the cut before outdating', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = { ...secondaryState(), cstate: 'Connected', peerRole: 'Primary' };
    const clock = new VirtualClock();
    clock.setTimer(1_200, () => {
      if (w.drbd.r0) w.drbd.r0 = { ...w.drbd.r0, cstate: 'NetworkFailure', peerRole: 'Unknown' };
    });
    const r = await answer(w, clock);
    expect(r).toMatchObject({ outcome: 'done', code: 'outdated' });
    expect(clock.nowMs()).toBeGreaterThanOrEqual(1_200);
  });

  it('retries an outdate DRBD refuses while it settles on the cut, and stops on a hard failure', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = secondaryState();
    w.fail.set('drbd outdate', {
      status: 'failed',
      errorKind: 'state-refused',
      retrySafe: false,
      detail: '(-6) Refusing to be Outdated while Connected',
    });
    const clock = new VirtualClock();
    clock.setTimer(600, () => w.fail.clear());
    expect(await answer(w, clock)).toMatchObject({ outcome: 'done', code: 'outdated' });
    expect(w.mutations().length).toBeGreaterThan(1);

    const hard = new FakeWorld();
    hard.drbd.r0 = secondaryState();
    hard.fail.set('drbd outdate', {
      status: 'failed',
      errorKind: 'module-not-loaded',
      retrySafe: false,
      detail: 'no module',
    });
    expect(await answer(hard)).toMatchObject({ outcome: 'failed', code: 'E_DRBD' });
    expect(hard.mutations()).toEqual(['drbd outdate r0']);
  });

  it('gives up when DRBD still reports Connected at the deadline', async () => {
    const w = new FakeWorld();
    w.drbd.r0 = { ...secondaryState(), cstate: 'Connected' };
    const r = await answer(w, new VirtualClock(), 2_000);
    expect(r).toMatchObject({ outcome: 'failed', code: 'still-connected' });
    expect(w.mutations()).toEqual([]);
  });
});

describe('answerOutdateRequest with the daemon view and disconnect (no waiting for DRBD)', () => {
  /** FakeWorld's DRBD plus what real DRBD does: outdate refused while linked, disconnect -> StandAlone. */
  function world(state: ReturnType<typeof secondaryState>) {
    const w = new FakeWorld();
    w.drbd.r0 = state;
    const base = w.drbdPort();
    const drbd = {
      ...base,
      outdate: async (r: string, o: Parameters<typeof base.outdate>[1]) => {
        const s = w.drbd[r]!;
        if (s.cstate === 'Connected') {
          w.calls.push(`drbd outdate ${r} (refused)`);
          return {
            status: 'failed' as const,
            errorKind: 'state-refused',
            retrySafe: false,
            detail: '(-6) Refusing to be Outdated while Connected',
          };
        }
        return base.outdate(r, o);
      },
    };
    const disconnect = async (r: string) => {
      w.calls.push(`drbd disconnect ${r}`);
      w.drbd[r]!.cstate = 'StandAlone';
      return { status: 'ok' as const, detail: 'disconnected' };
    };
    const view = () => {
      const s = w.drbd.r0!;
      return { ...s, disks: [...s.disks], peerDisks: [...s.peerDisks] };
    };
    return { w, drbd, disconnect, view };
  }

  it('a Secondary whose DRBD has not noticed the drop disconnects, outdates and asks to reconnect, without polling', async () => {
    const { w, drbd, disconnect, view } = world({
      ...secondaryState(),
      cstate: 'Connected',
      peerRole: 'Primary',
    });
    const clock = new VirtualClock();
    const r = await drive(
      clock,
      answerOutdateRequest('r0', { drbd, clock, timeoutMs: 10_000, view, disconnect }),
    );
    expect(r).toMatchObject({ outcome: 'done', code: 'outdated', reconnect: true });
    expect(clock.nowMs()).toBe(0);
    expect(w.calls).toEqual(['drbd disconnect r0', 'drbd outdate r0']);
  });

  it('a disconnected UpToDate Secondary is outdated from the view with one command, no status query', async () => {
    const { w, drbd, disconnect, view } = world(secondaryState());
    const clock = new VirtualClock();
    const r = await drive(
      clock,
      answerOutdateRequest('r0', { drbd, clock, timeoutMs: 10_000, view, disconnect }),
    );
    expect(r).toMatchObject({ outcome: 'done', code: 'outdated', reconnect: false });
    expect(w.calls).toEqual(['drbd outdate r0']);
  });

  it('a failed disconnect is a definite DRBD failure (E_DRBD)', async () => {
    const { drbd, view } = world({ ...secondaryState(), cstate: 'Connected' });
    const clock = new VirtualClock();
    const disconnect = async () => ({
      status: 'timeout' as const,
      retrySafe: true,
      detail: 'did not terminate within 5 seconds',
    });
    const r = await drive(
      clock,
      answerOutdateRequest('r0', { drbd, clock, timeoutMs: 10_000, view, disconnect }),
    );
    expect(r).toMatchObject({ outcome: 'failed', code: 'E_DRBD', reconnect: false });
  });

  it('a view that shows this node Primary is confirmed by a fresh query, and refused', async () => {
    const { w, drbd, disconnect, view } = world(primaryState());
    const clock = new VirtualClock();
    const r = await drive(
      clock,
      answerOutdateRequest('r0', { drbd, clock, timeoutMs: 10_000, view, disconnect }),
    );
    expect(r).toMatchObject({ outcome: 'refused', code: 'peer-primary' });
    expect(w.mutations()).toEqual([]);
  });
});

describe('outdateAnswerOf (the asking node)', () => {
  it('reads replies', () => {
    expect(outdateAnswerOf(null)).toBe('unreachable');
    expect(outdateAnswerOf({ outcome: 'done', code: 'outdated' })).toBe('outdated');
    expect(outdateAnswerOf({ outcome: 'done', code: 'already-outdated' })).toBe('already-outdated');
    expect(outdateAnswerOf({ outcome: 'done', code: 'inconsistent' })).toBe('inconsistent');
    expect(outdateAnswerOf({ outcome: 'refused', code: 'peer-primary' })).toBe('peer-primary');
    // Only the peer's definite "my DRBD failed to outdate" is `failed` (which stonith node-fences).
    expect(outdateAnswerOf({ outcome: 'failed', code: 'E_DRBD' })).toBe('failed');
    // Issue 17.1: a refusal is never read as "could not outdate -> fence".
    expect(outdateAnswerOf({ outcome: 'refused', code: 'maintenance' })).toBe('refused');
    expect(outdateAnswerOf({ outcome: 'refused', code: 'unknown-resource' })).toBe('refused');
    expect(outdateAnswerOf({ outcome: 'failed', code: 'still-connected' })).toBe('refused');
    expect(outdateAnswerOf({ outcome: 'failed', code: 'peer-slow' })).toBe('slow');
    // A Primary peer is never mistaken for a failed one (which stonith would node-fence).
    expect(outdateAnswerOf({ outcome: 'failed', code: 'peer-primary' })).toBe('peer-primary');
  });

  it('reads the executor-level peer outcome the daemon passes on', () => {
    expect(outdateAnswerOfPeerOutcome({ status: 'unreachable', detail: 'x' })).toBe('unreachable');
    expect(outdateAnswerOfPeerOutcome({ status: 'ok', detail: 'x' })).toBe('outdated');
    expect(outdateAnswerOfPeerOutcome({ status: 'ok', detail: 'x', code: 'inconsistent' })).toBe(
      'inconsistent',
    );
    expect(outdateAnswerOfPeerOutcome({ status: 'failed', errorKind: 'peer-primary', detail: 'x' })).toBe(
      'peer-primary',
    );
    expect(outdateAnswerOfPeerOutcome({ status: 'failed', errorKind: 'still-connected', detail: 'x' })).toBe(
      'refused',
    );
    expect(outdateAnswerOfPeerOutcome({ status: 'failed', errorKind: 'unknown-resource', detail: 'x' })).toBe(
      'refused',
    );
    expect(outdateAnswerOfPeerOutcome({ status: 'failed', errorKind: 'E_DRBD', detail: 'x' })).toBe('failed');
    expect(outdateAnswerOfPeerOutcome({ status: 'failed', errorKind: 'peer-slow', detail: 'x' })).toBe(
      'slow',
    );
  });
});
