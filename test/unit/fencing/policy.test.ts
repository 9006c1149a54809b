import { describe, expect, it } from 'vitest';
import { fenceDelayMs } from '../../../src/engine/fence-delay.js';
import {
  afterNodeFence,
  FENCE_PEER_EXIT,
  fencePeerStep,
  OUTDATE_ANSWERS,
} from '../../../src/engine/fence-peer-exit.js';
import { FENCING_POLICIES } from '../../../src/engine/policy.js';
import { parseDrbdHandlerEnv } from '../../../src/fencing/drbd-handler-env.js';

describe('fenceDelayMs', () => {
  const base = { localNode: 'alpha', peerNode: 'bravo', delayMs: 5000 };
  it('the Primary fences at once, the Secondary waits the delay', () => {
    expect(fenceDelayMs({ ...base, localPrimaries: 1, peerPrimaries: 0 })).toBe(0);
    expect(fenceDelayMs({ ...base, localPrimaries: 0, peerPrimaries: 1 })).toBe(5000);
  });
  it('breaks ties by node name so exactly one side waits', () => {
    for (const [l, p] of [
      [0, 0],
      [1, 1],
    ] as const) {
      const a = fenceDelayMs({ ...base, localPrimaries: l, peerPrimaries: p });
      const b = fenceDelayMs({
        localNode: 'bravo',
        peerNode: 'alpha',
        delayMs: 5000,
        localPrimaries: p,
        peerPrimaries: l,
      });
      expect([a, b].sort()).toEqual([0, 5000]);
    }
  });
  it('the side with more Primaries wins', () => {
    expect(fenceDelayMs({ ...base, localNode: 'zulu', localPrimaries: 2, peerPrimaries: 1 })).toBe(0);
  });
});

describe('fencePeerStep (DRBD fence-peer exit codes)', () => {
  it('maps every answer under every policy', () => {
    const table = Object.fromEntries(
      OUTDATE_ANSWERS.map((a) => [
        a,
        Object.fromEntries(
          FENCING_POLICIES.map((p) => {
            const s = fencePeerStep(a, p);
            return [p, s.kind === 'exit' ? s.code : 'fence-node'];
          }),
        ),
      ]),
    );
    expect(table).toEqual({
      outdated: { stonith: 4, 'resource-only': 4, none: 4 },
      'already-outdated': { stonith: 4, 'resource-only': 4, none: 4 },
      inconsistent: { stonith: 3, 'resource-only': 3, none: 3 },
      'peer-primary': { stonith: 6, 'resource-only': 6, none: 6 },
      unreachable: { stonith: 'fence-node', 'resource-only': 5, none: 5 },
      failed: { stonith: 'fence-node', 'resource-only': 1, none: 1 },
      // A peer that answers the heartbeat is never node-fenced over a slow or refused answer.
      slow: { stonith: 1, 'resource-only': 1, none: 1 },
      refused: { stonith: 1, 'resource-only': 1, none: 1 },
    });
  });
  it('after node fencing: 7 when fenced, 1 otherwise', () => {
    expect(afterNodeFence(true)).toBe(FENCE_PEER_EXIT.PEER_STONITHED);
    expect(afterNodeFence(false)).toBe(FENCE_PEER_EXIT.FAILURE);
  });
});

describe('parseDrbdHandlerEnv', () => {
  it('reads DRBD 8.4 handler environment', () => {
    expect(
      parseDrbdHandlerEnv({
        DRBD_RESOURCE: 'r0',
        DRBD_MINOR: '1',
        DRBD_PEER_ADDRESS: '10.77.0.2',
        DRBD_PEER_AF: 'ipv4',
        DRBD_PEERS: 'bravo',
      }),
    ).toEqual({
      ok: true,
      value: { resource: 'r0', minor: 1, peerAddress: '10.77.0.2', peerNodeId: null, peers: ['bravo'] },
    });
  });
  it('reads DRBD 9 handler environment', () => {
    expect(
      parseDrbdHandlerEnv({
        DRBD_RESOURCE: 'r0',
        DRBD_MINOR_0: '3',
        DRBD_PEER_NODE_ID: '1',
        DRBD_NODE_ID_1: 'bravo',
      }),
    ).toEqual({
      ok: true,
      value: { resource: 'r0', minor: 3, peerAddress: null, peerNodeId: 1, peers: ['bravo'] },
    });
  });
  it('refuses to run without DRBD_RESOURCE', () => {
    expect(parseDrbdHandlerEnv({}).ok).toBe(false);
  });
});
