/**
 * Regression tests for issue 12: correctly signed frames with values no genuine sender produces must be
 * dropped and counted without disturbing a live pair (two endpoints on the in-memory network).
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import { MembershipEndpoint, decodeFrame, encodeFrame, type Frame } from '../../../src/membership/index.js';
import { MemoryNetwork } from '../../support/membership-memory-network.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const A_INCARNATION = 100;

async function livePair() {
  const clock = new VirtualClock(10_000);
  const net = new MemoryNetwork(clock, 1);
  const mk = (self: 'alpha' | 'bravo'): MembershipEndpoint => {
    const me = self === 'alpha' ? 1 : 2;
    const peer = self === 'alpha' ? 2 : 1;
    return new MembershipEndpoint({
      clusterName: 'pair',
      nodeName: self,
      peerName: self === 'alpha' ? 'bravo' : 'alpha',
      key: KEY,
      incarnation: self === 'alpha' ? A_INCARNATION : 200,
      links: [0, 1].map((l) => ({
        localAddress: `10.${l}.0.${me}`,
        localPort: 7790,
        peerAddress: `10.${l}.0.${peer}`,
        peerPort: 7790,
      })),
      intervalMs: 200,
      warntimeMs: 1000,
      deadtimeMs: 2000,
      clock,
      transport: net,
      getReport: () => null,
    });
  };
  const a = mk('alpha');
  const b = mk('bravo');
  expect((await a.start()).ok).toBe(true);
  expect((await b.start()).ok).toBe(true);
  clock.advance(1000);
  expect(a.view().reachable).toBe(true);
  // The last frame bravo sent, decoded: what a forger with the key would start from.
  const lastFromBravo = (): Frame => {
    const d = [...net.sent].reverse().find((s) => s.from.endsWith('.2:7790'));
    const r = decodeFrame(d!.datagram, KEY);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  const inject = (link: number, f: Frame): void => {
    const e = encodeFrame(f, KEY);
    if (!e.ok) throw new Error(`test frame does not encode: ${e.error}`);
    net.inject(`10.${link}.0.1:7790`, e.value);
  };
  /** Raw bytes signed with the right key: for values our own encoder refuses. */
  const injectRaw = (link: number, f: Frame, patch: (b: Buffer) => void): void => {
    const e = encodeFrame(f, KEY);
    if (!e.ok) throw new Error(e.error);
    const b = Buffer.from(e.value);
    patch(b);
    createHmac('sha256', KEY)
      .update(b.subarray(0, b.length - 32))
      .digest()
      .copy(b, b.length - 32);
    net.inject(`10.${link}.0.1:7790`, b);
  };
  return { clock, net, a, b, lastFromBravo, inject, injectRaw };
}

describe('hostile but correctly signed frames (issue 12)', () => {
  it('12.1: an out-of-range time is rejected as invalid-field, never echoed; both links stay up', async () => {
    const { clock, a, b, lastFromBravo, injectRaw } = await livePair();
    const f = lastFromBravo();
    const forged = { ...f, seq: f.seq + 1, linkSeq: 1 };
    injectRaw(0, { ...forged, link: 0 }, (buf) => buf.writeDoubleBE(1e15, 24));
    injectRaw(1, { ...forged, link: 1, seq: f.seq + 2 }, (buf) => buf.writeDoubleBE(-5, 24));
    injectRaw(0, { ...forged, link: 0, seq: f.seq + 3 }, (buf) => buf.writeDoubleBE(-3, 56)); // echoHoldMs
    for (let i = 0; i < 15; i++) {
      clock.advance(200);
      expect(a.view().links.map((l) => l.state)).toEqual(['up', 'up']);
      expect(b.view().links.map((l) => l.state)).toEqual(['up', 'up']);
    }
    expect(a.counters.rejected['invalid-field']).toBe(3);
    expect(a.counters.encodeErrors).toBe(0);
    expect(b.counters.encodeErrors).toBe(0);
    expect(b.counters.rejected['invalid-field']).toBe(0);
  });

  it('12.2: a frame 1,000,000 seqs ahead does not poison the window; the peer stays reachable', async () => {
    const { clock, a, lastFromBravo, inject } = await livePair();
    const f = lastFromBravo();
    inject(f.link, { ...f, seq: f.seq + 1_000_000, echoIncarnation: A_INCARNATION });
    const acceptedBefore = a.counters.accepted.heartbeat;
    let reachableSamples = 0;
    for (let i = 0; i < 50; i++) {
      clock.advance(200);
      if (a.view().reachable && a.view().links.every((l) => l.state === 'up')) reachableSamples++;
    }
    expect(reachableSamples).toBe(50);
    expect(a.counters.rejected['seq-implausible']).toBe(1);
    expect(a.counters.rejected['seq-too-old']).toBe(0);
    // 10 s of genuine heartbeats on 2 links at 200 ms, all accepted.
    expect(a.counters.accepted.heartbeat - acceptedBefore).toBeGreaterThanOrEqual(98);
  });

  it('12.2: after the peer was silent for 10 minutes its genuine frames are accepted again', async () => {
    const { clock, net, a } = await livePair();
    net.filter = () => false;
    clock.advance(600_000);
    expect(a.view().reachable).toBe(false);
    net.filter = () => true;
    clock.advance(1000);
    expect(a.view().reachable).toBe(true);
    expect(a.counters.rejected['seq-implausible']).toBe(0);
  });
});
