import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/common/clock.js';
import { MembershipEndpoint, encodeFrame, type Frame } from '../../../src/membership/index.js';
import { freePort } from '../../support/membership-harness.js';

const KEY = Buffer.from('k'.repeat(32));
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

function frame(overrides: Partial<Frame>): Buffer {
  const f: Frame = {
    cluster: 'pair',
    sender: 'bravo',
    link: 0,
    incarnation: 10,
    seq: 1,
    sendTimeMs: 1,
    linkSeq: 1,
    echoIncarnation: 0,
    echoSendTimeMs: null,
    echoHoldMs: 0,
    body: { type: 'heartbeat', report: null },
    ...overrides,
  };
  const r = encodeFrame(f, overrides.cluster === 'forged' ? Buffer.from('wrong key') : KEY);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('a real UDP endpoint', () => {
  it('drops and counts every forged, foreign, stale, replayed, oversized and malformed packet', async () => {
    const addr = '127.0.60.2';
    const port = await freePort(addr);
    const ep = new MembershipEndpoint({
      clusterName: 'pair',
      nodeName: 'alpha',
      peerName: 'bravo',
      key: KEY,
      incarnation: 500,
      links: [
        {
          localAddress: addr,
          localPort: port,
          peerAddress: '127.0.60.3',
          peerPort: await freePort('127.0.60.3'),
        },
      ],
      intervalMs: 200,
      warntimeMs: 1000,
      deadtimeMs: 2000,
      clock: systemClock,
      getReport: () => null,
    });
    expect((await ep.start()).ok).toBe(true);
    cleanup.push(() => ep.stop());
    const attacker = createSocket('udp4');
    cleanup.push(() => new Promise<void>((r) => attacker.close(() => r())));
    const send = (d: Buffer): Promise<void> =>
      new Promise((resolve, reject) => attacker.send(d, port, addr, (e) => (e ? reject(e) : resolve())));

    const valid = frame({ seq: 7 }); // authenticated, but does not echo our incarnation: learn-only
    const attacks: [string, Buffer][] = [
      ['bad-mac', frame({ cluster: 'forged' })],
      ['wrong-cluster', frame({ cluster: 'other-pair' })],
      ['unknown-sender', frame({ sender: 'mallory' })],
      ['unknown-sender', frame({ sender: 'alpha' })],
      ['oversized', Buffer.alloc(20_000, 1)],
      ['too-short', Buffer.from('hello')],
      ['bad-magic', Buffer.alloc(200, 7)],
    ];
    const tampered = Buffer.from(valid);
    tampered[7] = 1; // flags changed after signing: must be bad-mac, never parsed
    attacks.push(['bad-mac', tampered]);
    // Signed with the right key but with an invalid layout (non-zero flags): authenticated garbage.
    const malformed = Buffer.from(valid);
    malformed[7] = 1;
    createHmac('sha256', KEY)
      .update(malformed.subarray(0, malformed.length - 32))
      .digest()
      .copy(malformed, malformed.length - 32);
    attacks.push(['malformed', malformed]);
    await send(valid);
    attacks.push(['replayed', valid]);
    attacks.push(['old-incarnation', frame({ incarnation: 9, seq: 100 })]);
    attacks.push([
      'unconfirmed',
      frame({ seq: 8, body: { type: 'request', id: 'r1', op: { kind: 'outdate', resource: 'r0' } } }),
    ]);
    for (const [, d] of attacks) await send(d);
    await send(frame({ seq: 2000 })); // fresh (learn-only), within the slack: moves the window
    await send(frame({ seq: 2 })); // now behind the 1024-frame window
    attacks.push(['seq-too-old', Buffer.alloc(0)]);

    const expected: Record<string, number> = {};
    for (const [reason] of attacks) expected[reason] = (expected[reason] ?? 0) + 1;
    const deadline = Date.now() + 5000;
    const total = (): number => Object.values(ep.counters.rejected).reduce((x, y) => x + y, 0);
    while (total() < attacks.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const nonZero = Object.fromEntries(Object.entries(ep.counters.rejected).filter(([, n]) => n > 0));
    expect(nonZero).toEqual(expected);
    expect(ep.counters.unconfirmedHeartbeats).toBe(2);
    // Nothing reached a decision: never reachable, no report, no request handled.
    expect(ep.view()).toMatchObject({ reachable: false, everHeard: false, report: null });
    expect(ep.counters.requests.handled).toBe(0);
  });
});
