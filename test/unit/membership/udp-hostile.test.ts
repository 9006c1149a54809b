/**
 * Hostile heartbeats against real endpoints on loopback UDP (issue 12.4): every kind of bad packet is
 * dropped, counted under its reason and changes nothing in alpha's view of a live bravo.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeFrame,
  REJECT_REASONS,
  type Frame,
  type RejectReason,
} from '../../../src/membership/index.js';
import {
  BRAVO_REPORT,
  PAIR_KEY,
  startUdpPair,
  until,
  type UdpPair,
} from '../../support/membership-udp-pair.js';

let pair: UdpPair;
beforeAll(async () => {
  pair = await startUdpPair(62);
  await until(
    () => pair.alpha.view().reachable && pair.bravo.view().reachable,
    5000,
    'the pair to see each other',
  );
});
afterAll(() => pair.stop());

const allUp = (): boolean =>
  [pair.alpha, pair.bravo].every((ep) => ep.view().links.every((l) => l.state === 'up'));
const rejected = (): Record<RejectReason, number> => ({ ...pair.alpha.counters.rejected });

/** What must not change: reachability, the peer's incarnation and report, every link up. */
function stableView(): unknown {
  const v = pair.alpha.view();
  return {
    reachable: v.reachable,
    incarnation: v.incarnation,
    report: v.report,
    links: v.links.map((l) => l.state),
  };
}

/** The newest datagram bravo sent on `link` in its current incarnation, decoded. */
function latest(link: number): { datagram: Buffer; frame: Frame } {
  for (let i = pair.fromBravo.length - 1; i >= 0; i--) {
    const s = pair.fromBravo[i]!;
    if (s.link !== link) continue;
    const r = decodeFrame(s.datagram, PAIR_KEY);
    if (r.ok && r.value.incarnation === pair.bravo.incarnation)
      return { datagram: s.datagram, frame: r.value };
  }
  throw new Error('bravo sent nothing on that link');
}

function signed(frame: Frame, key = PAIR_KEY): Buffer {
  const r = encodeFrame(frame, key);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** Sends `datagram` to alpha's `link`, waits until it is counted, checks that only `reason` moved. */
async function expectDropped(reason: RejectReason, link: number, datagram: Buffer): Promise<void> {
  // Compare against a settled view: right after start (or under load) a link may still be coming up.
  await until(allUp, 5000, 'every link up on both sides');
  const before = rejected();
  const viewBefore = stableView();
  const acceptedBefore = pair.alpha.counters.accepted;
  const handled = pair.alpha.counters.requests.handled;
  await pair.attack(link, datagram);
  await until(() => pair.alpha.counters.rejected[reason] > before[reason], 2000, `a ${reason} rejection`);
  const after = rejected();
  for (const r of REJECT_REASONS)
    expect({ r, n: after[r] - before[r] }).toEqual({ r, n: r === reason ? 1 : 0 });
  expect(stableView()).toEqual(viewBefore);
  expect(pair.alpha.counters.requests.handled).toBe(handled);
  expect(pair.alpha.counters.accepted.request).toBe(acceptedBefore.request);
}

describe('hostile heartbeats against a live pair on loopback UDP', () => {
  it('drops garbage, truncated and oversized packets', async () => {
    const garbage = randomBytes(300);
    garbage.write('XXXX', 0);
    await expectDropped('bad-magic', 0, garbage);
    await expectDropped('too-short', 0, latest(0).datagram.subarray(0, 50));
    await expectDropped('oversized', 1, Buffer.alloc(9000, 0x44));
  });

  it('drops a wrong HMAC, a frame signed with a foreign key and a truncated frame as bad-mac', async () => {
    const tampered = Buffer.from(latest(0).datagram);
    tampered[tampered.length - 1]! ^= 0x01;
    await expectDropped('bad-mac', 0, tampered);
    const { frame } = latest(1);
    await expectDropped(
      'bad-mac',
      1,
      signed({ ...frame, seq: frame.seq + 1 }, Buffer.from('another cluster key')),
    );
    const cut = latest(0).datagram;
    await expectDropped('bad-mac', 0, cut.subarray(0, cut.length - 5));
  });

  it('drops a replay sent at once, a replay later, and a genuine frame on the wrong link', async () => {
    await expectDropped('replayed', 0, latest(0).datagram);
    const early = latest(1);
    // Later: once bravo's genuine frames on that link have moved past it (no fixed wait).
    await until(() => latest(1).frame.seq > early.frame.seq + 4, 5000, 'newer frames from bravo');
    await expectDropped('replayed', 1, early.datagram);
    await expectDropped('wrong-link', 1, latest(0).datagram);
  });

  it('drops keyed frames for another cluster or from another node name (also our own)', async () => {
    const { frame } = latest(0);
    await expectDropped('wrong-cluster', 0, signed({ ...frame, cluster: 'other-pair', seq: frame.seq + 1 }));
    await expectDropped('unknown-sender', 0, signed({ ...frame, sender: 'mallory', seq: frame.seq + 2 }));
    await expectDropped('unknown-sender', 0, signed({ ...frame, sender: 'alpha', seq: frame.seq + 3 }));
  });

  it('drops keyed frames with impossible numbers or a seq far ahead', async () => {
    const { datagram, frame } = latest(0);
    const b = Buffer.from(datagram);
    b.writeDoubleBE(1e15, 24);
    createHmac('sha256', PAIR_KEY)
      .update(b.subarray(0, b.length - 32))
      .digest()
      .copy(b, b.length - 32);
    await expectDropped('invalid-field', 0, b);
    await expectDropped('seq-implausible', 0, signed({ ...frame, seq: frame.seq + 1_000_000 }));
  });

  it('after bravo restarts (new incarnation), its old frames are dropped as old-incarnation', async () => {
    const old = latest(0).datagram;
    const oldIncarnation = pair.bravo.incarnation;
    await pair.restartBravo(oldIncarnation + 1);
    await until(
      () => pair.alpha.view().incarnation === oldIncarnation + 1 && pair.alpha.view().reachable,
      5000,
      'alpha to accept the restarted bravo',
    );
    await until(() => pair.alpha.view().links.every((l) => l.state === 'up'), 3000, 'both links up again');
    await expectDropped('old-incarnation', 0, old);
    expect(pair.alpha.view().report).toEqual(BRAVO_REPORT);
  });
});
