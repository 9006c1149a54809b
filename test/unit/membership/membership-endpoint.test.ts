import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock, type Clock } from '../../../src/common/clock.js';
import {
  MembershipEndpoint,
  type MembershipEvent,
  type MembershipOptions,
  type NodeReport,
  type PeerOperation,
  type PeerReply,
} from '../../../src/membership/index.js';
import type { LinkSpec, Transport } from '../../../src/membership/transport.js';
import { MemoryNetwork } from '../../support/membership-memory-network.js';
import { StallableClock } from '../../support/membership-stallable-clock.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const REPORT: NodeReport = {
  resources: [
    {
      name: 'r0',
      role: 'Primary',
      disk: 'UpToDate',
      cstate: 'Connected',
      peerDisk: 'UpToDate',
      mounted: true,
      servicesUp: true,
      splitBrain: false,
      currentUuid: 'ABCDEF',
    },
  ],
  standby: false,
  maintenance: false,
  health: 'ok',
};

function links(self: 'a' | 'b'): LinkSpec[] {
  const addr = (n: 'a' | 'b', l: number): string => `10.${l}.0.${n === 'a' ? 1 : 2}`;
  const peer = self === 'a' ? 'b' : 'a';
  return [0, 1].map((l) => ({
    localAddress: addr(self, l),
    localPort: 7790,
    peerAddress: addr(peer, l),
    peerPort: 7790,
  }));
}

interface Node {
  readonly ep: MembershipEndpoint;
  readonly events: MembershipEvent[];
}

function node(
  self: 'a' | 'b',
  clock: Clock,
  transport: Transport,
  overrides: Partial<MembershipOptions> = {},
): Node {
  const ep = new MembershipEndpoint({
    clusterName: 'pair',
    nodeName: self === 'a' ? 'alpha' : 'bravo',
    peerName: self === 'a' ? 'bravo' : 'alpha',
    key: KEY,
    incarnation: self === 'a' ? 100 : 200,
    links: links(self),
    intervalMs: 200,
    warntimeMs: 1000,
    deadtimeMs: 2000,
    clock,
    transport,
    getReport: () => REPORT,
    ...overrides,
  });
  const events: MembershipEvent[] = [];
  ep.onEvent((e) => events.push(e));
  return { ep, events };
}

async function startPair(overrides: { a?: Partial<MembershipOptions>; b?: Partial<MembershipOptions> } = {}) {
  const clock = new VirtualClock(10_000);
  const net = new MemoryNetwork(clock, 1);
  const a = node('a', clock, net, overrides.a);
  const b = node('b', clock, net, overrides.b);
  expect((await a.ep.start()).ok).toBe(true);
  expect((await b.ep.start()).ok).toBe(true);
  return { clock, net, a, b };
}

const kinds = (events: MembershipEvent[]): string[] => events.map((e) => e.kind);

describe('MembershipEndpoint on a virtual network', () => {
  it('becomes reachable on every link after the incarnation handshake, with report, RTT and loss', async () => {
    const { clock, a, b } = await startPair();
    expect(a.ep.view().reachable).toBe(false);
    expect(a.ep.view().everHeard).toBe(false);
    clock.advance(1000);
    const v = a.ep.view();
    expect(v.reachable).toBe(true);
    expect(v.everHeard).toBe(true);
    expect(v.incarnation).toBe(200);
    expect(v.report).toEqual(REPORT);
    expect(v.links.map((l) => l.state)).toEqual(['up', 'up']);
    expect(v.links[0]?.localAddress).toBe('10.0.0.1');
    expect(v.links[1]?.peerAddress).toBe('10.1.0.2');
    // 1 ms each way on the memory network, whatever the hold time at the peer.
    expect(v.links[0]?.rttMs).toBeCloseTo(2, 5);
    expect(v.links[0]?.lossRate).toBe(0);
    expect(a.events[0]).toMatchObject({ kind: 'link-up' });
    expect(kinds(a.events)).toContain('peer-back');
    expect(a.events.find((e) => e.kind === 'peer-back')).toMatchObject({ firstContact: true });
    expect(b.ep.view().reachable).toBe(true);
    expect(Object.values(a.ep.counters.rejected).every((n) => n === 0)).toBe(true);
  });

  it('keeps the peer reachable while one link is up; late then down per link', async () => {
    const { clock, net, a } = await startPair();
    clock.advance(1000);
    net.filter = (from, to) => !(from.startsWith('10.0.') || to.startsWith('10.0.'));
    const cutAt = clock.nowMs();
    clock.advance(3000);
    const v = a.ep.view();
    expect(v.links.map((l) => l.state)).toEqual(['down', 'up']);
    expect(v.reachable).toBe(true);
    const late = a.events.find((e) => e.kind === 'link-late');
    const down = a.events.find((e) => e.kind === 'link-down');
    expect(late).toMatchObject({ link: 0 });
    expect(down).toMatchObject({ link: 0 });
    // late after warntime, down after deadtime, measured from the last frame (<= cut time).
    expect(late!.atMs - cutAt).toBeGreaterThanOrEqual(1000 - 200);
    expect(late!.atMs - cutAt).toBeLessThanOrEqual(1000 + 50);
    expect(down!.atMs - cutAt).toBeGreaterThanOrEqual(2000 - 200);
    expect(down!.atMs - cutAt).toBeLessThanOrEqual(2000 + 50);
    expect(kinds(a.events)).not.toContain('peer-lost');
    net.filter = () => true;
    clock.advance(500);
    expect(a.ep.view().links.map((l) => l.state)).toEqual(['up', 'up']);
    expect(kinds(a.events).filter((k) => k === 'link-up')).toHaveLength(3);
  });

  it('declares the peer lost within deadtime + one interval of its death, and back when it returns', async () => {
    const { clock, net, a, b } = await startPair();
    clock.advance(1000);
    await b.ep.stop();
    const diedAt = clock.nowMs();
    clock.advance(5000);
    const lost = a.events.find((e) => e.kind === 'peer-lost');
    expect(lost).toBeDefined();
    expect(lost!.atMs - diedAt).toBeGreaterThanOrEqual(2000 - 200);
    expect(lost!.atMs - diedAt).toBeLessThanOrEqual(2000 + 200);
    expect(a.ep.view().reachable).toBe(false);
    expect(a.ep.view().everHeard).toBe(true);
    // The peer restarts with a higher incarnation.
    const b2 = node('b', clock, net, { incarnation: 201 });
    await b2.ep.start();
    clock.advance(1000);
    expect(a.ep.view()).toMatchObject({ reachable: true, incarnation: 201 });
    const restarted = a.events.find((e) => e.kind === 'peer-restarted');
    expect(restarted).toMatchObject({ incarnation: 201, previousIncarnation: 200 });
    expect(a.events.filter((e) => e.kind === 'peer-back').at(-1)).toMatchObject({ firstContact: false });
  });

  it('in phi-accrual mode detects the death of a steady peer before deadtime, never before 3 intervals', async () => {
    const { clock, a, b } = await startPair({ a: { mode: { kind: 'phi', threshold: 8 } } });
    clock.advance(5000);
    await b.ep.stop();
    const diedAt = clock.nowMs();
    clock.advance(3000);
    const lost = a.events.find((e) => e.kind === 'peer-lost');
    expect(lost).toBeDefined();
    expect(lost!.atMs - diedAt).toBeLessThan(2000 - 200);
    expect(lost!.atMs - diedAt).toBeGreaterThanOrEqual(3 * 200 - 200);
  });

  it('rejects frames of an older incarnation after the peer restarted', async () => {
    const { clock, net, a, b } = await startPair();
    clock.advance(1000);
    const oldFrames = net.sent.filter((s) => s.from === '10.0.0.2:7790').map((s) => s.datagram);
    await b.ep.stop();
    const b2 = node('b', clock, net, { incarnation: 201 });
    await b2.ep.start();
    clock.advance(1000);
    const before = a.ep.counters.rejected['old-incarnation'];
    for (const d of oldFrames.slice(-5)) net.inject('10.0.0.1:7790', d);
    expect(a.ep.counters.rejected['old-incarnation']).toBe(before + 5);
    expect(a.ep.view().incarnation).toBe(201);
  });

  it('never counts replayed frames recorded before our own restart as proof of life', async () => {
    const { clock, net, a, b } = await startPair();
    clock.advance(2000);
    const recorded = net.sent.filter((s) => s.from.startsWith('10.0.0.2')).map((s) => s.datagram);
    // The peer dies; we restart (new incarnation); an attacker replays everything the peer ever sent.
    await b.ep.stop();
    await a.ep.stop();
    const a2 = node('a', clock, net, { incarnation: 101 });
    await a2.ep.start();
    for (const d of recorded) {
      net.inject('10.0.0.1:7790', d);
      clock.advance(10);
    }
    clock.advance(3000);
    expect(a2.ep.view().reachable).toBe(false);
    expect(a2.ep.view().everHeard).toBe(false);
    expect(a2.ep.view().report).toBeNull();
    expect(kinds(a2.events)).not.toContain('peer-back');
    expect(a2.ep.counters.unconfirmedHeartbeats).toBeGreaterThan(0);
    expect(a2.ep.counters.accepted.heartbeat).toBe(0);
  });

  it('rejects replays within the incarnation and counts them', async () => {
    const { clock, net, a } = await startPair();
    clock.advance(1000);
    const last = net.sent.filter((s) => s.from === '10.0.0.2:7790').at(-1)!.datagram;
    clock.advance(5); // let the original arrive first
    net.inject('10.0.0.1:7790', last);
    net.inject('10.0.0.1:7790', last);
    expect(a.ep.counters.rejected.replayed).toBe(2);
    // A frame sent on link 0 replayed into link 1's socket.
    net.inject('10.1.0.1:7790', last);
    expect(a.ep.counters.rejected['wrong-link']).toBe(1);
  });
});

describe('MembershipEndpoint fuzz', () => {
  it('counts every random or mutated datagram under one reject reason and never changes the view', async () => {
    const { clock, net, a } = await startPair();
    clock.advance(1000);
    const valid = net.sent.filter((s) => s.from === '10.0.0.2:7790').map((s) => s.datagram);
    net.filter = () => false; // only the fuzz reaches the endpoint from here on
    const before = JSON.stringify(a.ep.view());
    const rejectedTotal = (): number => Object.values(a.ep.counters.rejected).reduce((x, y) => x + y, 0);
    const start = rejectedTotal();
    let injected = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }).map((u) => Buffer.from(u)),
          fc
            .tuple(fc.nat({ max: valid.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }))
            .map(([i, at, x]) => {
              const d = Buffer.from(valid[i]!);
              d[at % d.length] = d[at % d.length]! ^ x;
              return d;
            }),
        ),
        (datagram) => {
          injected++;
          expect(() => net.inject('10.0.0.1:7790', datagram)).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
    expect(rejectedTotal() - start).toBe(injected);
    expect(JSON.stringify(a.ep.view())).toBe(before);
  });
});

describe('MembershipEndpoint stall guard', () => {
  async function stalledPair(stallThresholdMs?: number) {
    const vc = new VirtualClock(10_000);
    const net = new MemoryNetwork(vc, 1);
    const aClock = new StallableClock(vc);
    const a = node('a', aClock, aClock.wrap(net), stallThresholdMs === undefined ? {} : { stallThresholdMs });
    const b = node('b', vc, net);
    await a.ep.start();
    await b.ep.start();
    vc.advance(1000);
    return { vc, aClock, a, b };
  }

  it('does not declare the peer down from silence caused by its own stall', async () => {
    const { vc, aClock, a } = await stalledPair();
    aClock.stall(3000);
    vc.advance(3000 + 1000);
    expect(kinds(a.events)).toContain('stall');
    expect(kinds(a.events)).not.toContain('peer-lost');
    expect(kinds(a.events)).not.toContain('link-down');
    expect(a.ep.view().reachable).toBe(true);
  });

  it('without the guard the same stall produces a false peer-lost (the guard is what prevents it)', async () => {
    const { vc, aClock, a } = await stalledPair(Number.POSITIVE_INFINITY);
    aClock.stall(3000);
    vc.advance(3000 + 1000);
    expect(kinds(a.events)).toContain('peer-lost');
  });

  it('still declares the peer lost after the grace when it really died during the stall', async () => {
    const { vc, aClock, a, b } = await stalledPair();
    aClock.stall(3000);
    await b.ep.stop();
    vc.advance(3000);
    vc.advance(2000);
    expect(kinds(a.events)).toContain('stall');
    expect(kinds(a.events)).toContain('peer-lost');
    const stall = a.events.find((e) => e.kind === 'stall');
    const lost = a.events.find((e) => e.kind === 'peer-lost');
    expect(stall!.kind === 'stall' && lost!.atMs >= stall!.graceUntilMs).toBe(true);
  });
});

describe('MembershipEndpoint peer requests', () => {
  function handlerLog() {
    const calls: PeerOperation[] = [];
    const handler = (op: PeerOperation): Promise<PeerReply> => {
      calls.push(op);
      return Promise.resolve({
        outcome: 'done',
        code: 'outdated',
        message: `did ${op.kind}`,
        report: REPORT,
      });
    };
    return { calls, handler };
  }

  async function flush(clock: VirtualClock, ms: number): Promise<void> {
    // Handlers are async: let promise callbacks run between virtual-time steps.
    for (let t = 0; t < ms; t += 5) {
      clock.advance(5);
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
    }
  }

  it('answers a request once and returns the reply', async () => {
    const h = handlerLog();
    const { clock, a, b } = await startPair({ b: { onRequest: h.handler } });
    clock.advance(1000);
    const reply = a.ep.request({ kind: 'outdate', resource: 'r0' }, { timeoutMs: 2000 });
    await flush(clock, 100);
    const r = await reply;
    expect(r).toEqual({
      ok: true,
      value: { outcome: 'done', code: 'outdated', message: 'did outdate', report: REPORT },
    });
    // Sent on both up links: the second copy is a duplicate answered from the cache, handled once.
    expect(h.calls).toEqual([{ kind: 'outdate', resource: 'r0' }]);
    expect(b.ep.counters.requests.handled).toBe(1);
    expect(b.ep.counters.requests.duplicates).toBeGreaterThanOrEqual(1);
    expect(a.ep.counters.requests.answered).toBe(1);
  });

  it('retries through lost responses and still runs the handler once', async () => {
    const h = handlerLog();
    const { clock, net, a, b } = await startPair({ b: { onRequest: h.handler } });
    clock.advance(1000);
    let dropResponses = true;
    net.filter = (_from, _to, d) => !(dropResponses && d.readUInt8(5) === 3);
    const reply = a.ep.request(
      { kind: 'release', resource: 'r0' },
      { timeoutMs: 3000, retryIntervalMs: 100 },
    );
    await flush(clock, 450);
    dropResponses = false;
    await flush(clock, 200);
    const r = await reply;
    expect(r.ok).toBe(true);
    expect(h.calls).toHaveLength(1);
    expect(b.ep.counters.requests.duplicates).toBeGreaterThanOrEqual(4);
  });

  it('fails with E_PEER_UNREACHABLE at the deadline when nobody answers', async () => {
    const { clock, a, b } = await startPair();
    clock.advance(1000);
    await b.ep.stop();
    const reply = a.ep.request({ kind: 'state-query' }, { timeoutMs: 1500 });
    await flush(clock, 1600);
    const r = await reply;
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('E_PEER_UNREACHABLE');
    expect(a.ep.counters.requests.timedOut).toBe(1);
  });

  it('an abandoned request stops resending at once: the peer never sees it after it comes back', async () => {
    const h = handlerLog();
    const { clock, net, a } = await startPair({ b: { onRequest: h.handler } });
    clock.advance(1000);
    let cut = true;
    net.filter = () => !cut;
    const giveUp = new AbortController();
    const reply = a.ep.request(
      { kind: 'outdate', resource: 'r0' },
      { timeoutMs: 30_000, retryIntervalMs: 100, signal: giveUp.signal },
    );
    await flush(clock, 300);
    giveUp.abort();
    const r = await reply;
    expect(!r.ok && r.error.code).toBe('E_PEER_UNREACHABLE');
    cut = false;
    await flush(clock, 1000);
    expect(h.calls).toEqual([]);
  });

  it('answers failed when the handler throws, refused when there is no handler', async () => {
    const { clock, a } = await startPair({
      b: { onRequest: () => Promise.reject(new Error('boom')) },
    });
    clock.advance(1000);
    const reply = a.ep.request({ kind: 'prepare-handover', resource: 'r0' });
    await flush(clock, 100);
    expect(await reply).toMatchObject({ ok: true, value: { outcome: 'failed', code: 'E_INTERNAL' } });
    const other = await startPair();
    other.clock.advance(1000);
    const reply2 = other.a.ep.request({ kind: 'state-query' });
    await flush(other.clock, 100);
    expect(await reply2).toMatchObject({ ok: true, value: { outcome: 'refused', code: 'no-handler' } });
  });

  it('drops requests replayed from before the receiver restarted', async () => {
    const h = handlerLog();
    const { clock, net, a, b } = await startPair({ b: { onRequest: h.handler } });
    clock.advance(1000);
    const reply = a.ep.request({ kind: 'outdate', resource: 'r0' });
    await flush(clock, 100);
    await reply;
    const requests = net.sent.filter((s) => s.from === '10.0.0.1:7790' && s.datagram.readUInt8(5) === 2);
    expect(requests.length).toBeGreaterThan(0);
    await b.ep.stop();
    const h2 = handlerLog();
    const b2 = node('b', clock, net, { incarnation: 201, onRequest: h2.handler });
    await b2.ep.start();
    for (const r of requests) net.inject('10.0.0.2:7790', r.datagram);
    await flush(clock, 50);
    expect(h2.calls).toEqual([]);
    expect(b2.ep.counters.rejected.unconfirmed).toBe(requests.length);
  });
});
