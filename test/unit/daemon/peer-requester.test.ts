import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import { sentinelError } from '../../../src/common/errors.js';
import { createLogger } from '../../../src/common/log.js';
import { err, ok } from '../../../src/common/result.js';
import { createDaemonPeerRequester, type PeerLink } from '../../../src/daemon/peer-requester.js';
import { outdateAnswerOfPeerOutcome } from '../../../src/fencing/index.js';
import type { MembershipEvent, PeerOperation, PeerReply, PeerView } from '../../../src/membership/index.js';

/** Membership as the requester sees it: requests answered (or not) by the test, reachability set by it. */
class FakeLink implements PeerLink {
  reachable = true;
  readonly requests: Array<{
    op: PeerOperation;
    answer: (r: PeerReply) => void;
    signal: AbortSignal | undefined;
  }> = [];
  private readonly listeners = new Set<(e: MembershipEvent) => void>();
  constructor(private readonly clock: VirtualClock) {}
  request(op: PeerOperation, options: { timeoutMs: number; signal?: AbortSignal }) {
    return new Promise<ReturnType<typeof ok<PeerReply>> | ReturnType<typeof err>>((resolve) => {
      const cancel = this.clock.setTimer(options.timeoutMs, () =>
        resolve(err(sentinelError('E_PEER_UNREACHABLE', `no answer to ${op.kind}`))),
      );
      this.requests.push({
        op,
        signal: options.signal,
        answer: (r) => {
          cancel();
          resolve(ok(r));
        },
      });
    }) as ReturnType<PeerLink['request']>;
  }
  view(): PeerView {
    return {
      reachable: this.reachable,
      everHeard: true,
      links: [],
      report: null,
      reportAtMs: null,
      incarnation: 1,
      stallGraceUntilMs: null,
    };
  }
  onEvent(listener: (e: MembershipEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  lose() {
    this.reachable = false;
    for (const l of this.listeners) l({ kind: 'peer-lost', atMs: this.clock.nowMs() });
  }
}

const reply = (code: string, outcome: PeerReply['outcome'] = 'done'): PeerReply => ({
  outcome,
  code,
  message: code,
  report: null,
});

function setup(capMs = 30_000) {
  const clock = new VirtualClock();
  const link = new FakeLink(clock);
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
  });
  const peers = createDaemonPeerRequester({
    link,
    clock,
    logger,
    outdateCapMs: capMs,
  });
  return { clock, link, peers, lines };
}

describe('the daemon peer requester: outdate requests', () => {
  it('a slow peer that stays reachable is waited for past the caller deadline (no "unreachable", so no fence)', async () => {
    const { clock, link, peers } = setup();
    let done: unknown = null;
    const p = peers.outdatePeer('r0', clock.nowMs() + 1_200).then((o) => (done = o));
    // The old requester gave up at 1.2 s (2 x dead time) with "unreachable": the Primary then fenced.
    clock.advance(5_000);
    await new Promise((r) => setImmediate(r));
    expect(done).toBeNull();
    link.requests[0]!.answer(reply('outdated'));
    expect(await p).toMatchObject({ status: 'ok', code: 'outdated' });
  });

  it('past the cap with the peer still reachable the outcome is "slow", never "unreachable"', async () => {
    const { clock, peers, lines } = setup(30_000);
    const p = peers.outdatePeer('r0', clock.nowMs() + 1_200);
    clock.advance(30_000);
    const o = await p;
    expect(o).toMatchObject({ status: 'failed', errorKind: 'peer-slow' });
    expect(lines.map((l) => l.code)).toContain('PEER_OUTDATE_SLOW');
    expect(outdateAnswerOfPeerOutcome(o)).toBe('slow');
  });

  it('a peer lost on every link while waiting is "unreachable" at once', async () => {
    const { clock, link, peers } = setup();
    const p = peers.outdatePeer('r0', clock.nowMs() + 1_200);
    clock.advance(300);
    link.lose();
    expect(await p).toMatchObject({ status: 'unreachable' });
  });

  it('giving up on a lost peer also stops the request itself (chaos seed 3171)', async () => {
    // The old requester went on resending for the whole cap; the peer came back 17 s later, rebooted and
    // resynced, got the stale request, disconnected its healthy replication and outdated its disk.
    const { clock, link, peers } = setup();
    const p = peers.outdatePeer('r0', clock.nowMs() + 1_200);
    clock.advance(300);
    expect(link.requests[0]!.signal?.aborted).toBe(false);
    link.lose();
    await p;
    expect(link.requests[0]!.signal?.aborted).toBe(true);
  });

  it('two concurrent callers for one resource share one request and its answer', async () => {
    const { clock, link, peers } = setup();
    const engine = peers.outdatePeer('r0', clock.nowMs() + 10_000);
    clock.advance(5);
    const handler = peers.outdatePeer('r0', clock.nowMs() + 1_200);
    clock.advance(2_000);
    expect(link.requests.length).toBe(1);
    link.requests[0]!.answer(reply('already-outdated'));
    expect(await engine).toMatchObject({ status: 'ok', code: 'already-outdated' });
    expect(await handler).toMatchObject({ status: 'ok', code: 'already-outdated' });
  });

  it('an answer for this drop answers later callers until DRBD replicates again', async () => {
    const { clock, link, peers } = setup();
    const first = peers.outdatePeer('r0', clock.nowMs() + 1_200);
    link.requests[0]!.answer(reply('outdated'));
    await first;
    clock.advance(500);
    expect(await peers.outdatePeer('r0', clock.nowMs() + 1_200)).toMatchObject({ status: 'ok' });
    expect(link.requests.length).toBe(1);
    peers.replicationRestored('r0');
    const again = peers.outdatePeer('r0', clock.nowMs() + 1_200);
    expect(link.requests.length).toBe(2);
    link.requests[1]!.answer(reply('outdated'));
    expect(await again).toMatchObject({ status: 'ok' });
  });

  it('a caller that gives up does not cut the shared request short', async () => {
    const { clock, link, peers } = setup();
    const ac = new AbortController();
    const quitter = peers.outdatePeer('r0', clock.nowMs() + 1_200, ac.signal);
    const stayer = peers.outdatePeer('r0', clock.nowMs() + 1_200);
    ac.abort();
    expect(await quitter).toMatchObject({ status: 'failed', errorKind: 'aborted' });
    link.requests[0]!.answer(reply('outdated'));
    expect(await stayer).toMatchObject({ status: 'ok' });
  });

  it('a peer\'s refusal (unknown resource) is no DRBD failure: never read as "fence it"', async () => {
    const { clock, link, peers } = setup();
    const p = peers.outdatePeer('r0', clock.nowMs() + 1_200);
    link.requests[0]!.answer(reply('unknown-resource', 'refused'));
    expect(outdateAnswerOfPeerOutcome(await p)).toBe('refused');
  });
});
