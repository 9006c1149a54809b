import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import type { ConnectionState } from '../../../src/drbd/types.js';
import { answerDrbdFencePeer, screenFencePeer } from '../../../src/daemon/drbd-fence-peer.js';
import { initialMemory } from '../../../src/engine/index.js';
import type { PeerRequestOutcome } from '../../../src/executor/ports.js';

describe('screenFencePeer: node fencing only for a proven need about a managed resource', () => {
  const screen = (
    resource: string,
    view: ConnectionState | null,
    fresh: ConnectionState | null,
    queries: string[] = [],
  ) =>
    screenFencePeer(resource, {
      managed: ['r0'],
      viewCstate: () => view,
      freshCstate: async (r) => {
        queries.push(r);
        return fresh;
      },
    });

  it('issue 17.1: a resource this daemon does not manage is exit 1, with its reason code', async () => {
    expect(await screen('nope', null, null)).toEqual({
      exitCode: 1,
      code: 'FENCE_PEER_UNKNOWN_RESOURCE',
      message: 'resource nope is not managed by drbd-sentinel (configured: r0)',
    });
  });

  it('a call while DRBD here still replicates (view and fresh query agree) is stale: exit 1', async () => {
    expect(await screen('r0', 'Connected', 'Connected')).toMatchObject({
      exitCode: 1,
      code: 'FENCE_PEER_STILL_CONNECTED',
    });
  });

  it('a view that lags the drop is corrected by the fresh query; a disconnected resource goes on', async () => {
    const q: string[] = [];
    expect(await screen('r0', 'Connected', 'WFConnection', q)).toBeNull();
    expect(q).toEqual(['r0']);
    const none: string[] = [];
    expect(await screen('r0', 'WFConnection', null, none)).toBeNull();
    expect(none).toEqual([]);
  });
});

describe('answerDrbdFencePeer: a reachable peer is not node-fenced over a slow or refused answer', () => {
  function context(outcome: PeerRequestOutcome) {
    const fences: string[] = [];
    const clock = new VirtualClock();
    return {
      fences,
      ctx: {
        memory: initialMemory(),
        observation: null,
        peerReachable: true,
        peerReport: null,
        policy: 'stonith' as const,
        delayMs: 0,
        deadtimeMs: 600,
        localNode: 'alpha',
        peerNode: 'bravo',
        clock,
        peer: {
          outdatePeer: async () => outcome,
          requestRelease: async () => outcome,
          requestTakeover: async () => outcome,
        },
        fence: {
          fencePeer: async (reason: string) => {
            fences.push(reason);
            return { status: 'fenced' as const, handlers: [], detail: 'fenced' };
          },
        },
        onFenced: () => {},
      },
    };
  }

  it('slow (reachable past the cap): exit 1, no fence', async () => {
    const { ctx, fences } = context({
      status: 'failed',
      errorKind: 'peer-slow',
      detail: 'no answer within 30000 ms',
    });
    const a = await answerDrbdFencePeer('r0', ctx);
    expect(a.exitCode).toBe(1);
    expect(a.message).toContain('slow');
    expect(fences).toEqual([]);
  });

  it("the peer's refusal unknown-resource: exit 1, no fence (it was exit 7 after a power-off)", async () => {
    const { ctx, fences } = context({
      status: 'failed',
      errorKind: 'unknown-resource',
      detail: 'nope is not configured here',
    });
    expect((await answerDrbdFencePeer('nope', ctx)).exitCode).toBe(1);
    expect(fences).toEqual([]);
  });

  it("the peer's definite DRBD failure still leads to node fencing under stonith", async () => {
    const { ctx, fences } = context({ status: 'failed', errorKind: 'E_DRBD', detail: 'backing-disk-error' });
    expect((await answerDrbdFencePeer('r0', ctx)).exitCode).toBe(7);
    expect(fences.length).toBe(1);
  });
});
