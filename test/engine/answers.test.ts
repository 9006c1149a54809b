/** The engine's answers outside the loop: DRBD's fence-peer handler, the peer's prepare-handover and outdate. */
import { describe, expect, it } from 'vitest';
import { answer, type FencePeerQuestion } from '../../src/engine/index.js';

const call: FencePeerQuestion = {
  question: 'fence-peer',
  resource: 'r0',
  managed: ['r0'],
  viewCstate: 'WFConnection',
  peerFencedSilent: false,
  policy: 'stonith',
  localPrimaries: 1,
  peerPrimaries: 0,
  localNode: 'alpha',
  peerNode: 'bravo',
  fenceDelayMs: 1_000,
};

describe('fence-peer: node fencing only for a proven need about a managed resource', () => {
  it('a resource this daemon does not manage is exit 1, with its reason code', () => {
    expect(answer({ ...call, resource: 'nope' })).toEqual({
      reason: 'FENCE_PEER_UNKNOWN_RESOURCE',
      step: 'exit',
      exitCode: 1,
      message: 'resource nope is not managed by drbd-sentinel (configured: r0)',
    });
  });

  it('a view showing the link up is confirmed by a fresh query; still linked (or unknown) is exit 1', () => {
    const linked = { ...call, viewCstate: 'Connected' as const };
    expect(answer(linked)).toEqual({ reason: 'FENCE_PEER_CONFIRM_CSTATE', step: 'query-drbd' });
    expect(answer({ ...linked, freshCstate: 'Connected' })).toMatchObject({
      reason: 'FENCE_PEER_STILL_CONNECTED',
      exitCode: 1,
    });
    expect(answer({ ...linked, freshCstate: null })).toMatchObject({ exitCode: 1 });
    expect(answer({ ...linked, freshCstate: 'WFConnection' })).toMatchObject({ step: 'ask-outdate' });
  });

  it('the engine fenced the silent peer for this loss: exit 7 at once, nothing asked', () => {
    expect(answer({ ...call, peerFencedSilent: true })).toMatchObject({
      reason: 'FENCE_PEER_ALREADY_FENCED',
      exitCode: 7,
    });
  });

  it('a reachable peer is not node-fenced over a slow or refused answer', () => {
    for (const a of ['slow', 'refused'] as const)
      expect(answer({ ...call, outdate: { answer: a, detail: '' } })).toMatchObject({
        step: 'exit',
        exitCode: 1,
      });
  });

  it("the peer's outdated disk is 4; unreachable under resource-only is 5, without fencing", () => {
    expect(answer({ ...call, outdate: { answer: 'outdated', detail: 'x' } })).toMatchObject({ exitCode: 4 });
    expect(
      answer({ ...call, policy: 'resource-only', outdate: { answer: 'unreachable', detail: '' } }),
    ).toMatchObject({
      exitCode: 5,
    });
  });

  it('node fencing under stonith waits the fence delay only on the side that should lose the race', () => {
    const unreachable = { ...call, outdate: { answer: 'unreachable' as const, detail: '' } };
    expect(answer(unreachable)).toMatchObject({ step: 'fence-node', delayMs: 0 });
    expect(answer({ ...unreachable, localPrimaries: 0, peerPrimaries: 1 })).toMatchObject({ delayMs: 1_000 });
    expect(answer({ ...call, outdate: { answer: 'failed', detail: 'E_DRBD' } })).toMatchObject({
      step: 'fence-node',
    });
    expect(answer({ ...unreachable, nodeFence: { fenced: true, detail: 'fenced' } })).toMatchObject({
      exitCode: 7,
    });
    expect(answer({ ...unreachable, nodeFence: { fenced: false, detail: 'failed' } })).toMatchObject({
      reason: 'FENCE_PEER_NODE_FENCE_FAILED',
      exitCode: 1,
    });
  });
});

describe("the peer's requests", () => {
  const handover = {
    question: 'prepare-handover' as const,
    resource: 'r0',
    configured: true,
    standby: false,
    maintenance: false,
    disk: 'UpToDate' as const,
  };
  it('prepare-handover: ready only with an UpToDate disk, outside standby and maintenance', () => {
    expect(answer(handover)).toMatchObject({ reason: 'HANDOVER_READY', outcome: 'done', code: 'ready' });
    expect(answer({ ...handover, maintenance: true })).toMatchObject({ code: 'standby-or-maintenance' });
    expect(answer({ ...handover, disk: 'Outdated' })).toMatchObject({
      reason: 'HANDOVER_REFUSED_DISK',
      message: 'local disk is Outdated',
    });
  });
  it('outdate: a Primary refuses (the asker reads peer-primary), a Secondary outdates', () => {
    const q = { question: 'outdate' as const, resource: 'r0', configured: true, role: 'Primary' as const };
    expect(answer(q)).toMatchObject({
      reason: 'OUTDATE_REFUSED_PRIMARY',
      outcome: 'refused',
      code: 'peer-primary',
    });
    expect(answer({ ...q, role: 'Secondary' })).toEqual({ reason: 'OUTDATE_PROCEED', step: 'outdate-local' });
    expect(answer({ ...q, configured: false })).toMatchObject({ code: 'unknown-resource' });
  });
});
