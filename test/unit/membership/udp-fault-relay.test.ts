import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it, vi } from 'vitest';
import { freePort } from '../../support/membership-harness.js';
import { until } from '../../support/membership-udp-pair.js';
import { mulberry32, planPacket, startUdpFaultRelay } from '../../support/udp-fault-relay.js';

const LOSSY = { dropRate: 0.2, delayMinMs: 10, delayMaxMs: 90, duplicateRate: 0.05, reorderRate: 0.05 };

describe('udp fault relay schedule', () => {
  it('is a function of the seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const plansA = Array.from({ length: 100 }, () => planPacket(a, LOSSY));
    const plansB = Array.from({ length: 100 }, () => planPacket(b, LOSSY));
    expect(plansA).toEqual(plansB);
    const c = mulberry32(43);
    expect(Array.from({ length: 100 }, () => planPacket(c, LOSSY))).not.toEqual(plansA);
  });

  it('drops, delays, duplicates and reorders at the configured rates', () => {
    const rng = mulberry32(7);
    const n = 20_000;
    let dropped = 0;
    let dup = 0;
    let reordered = 0;
    let inRange = true;
    for (let i = 0; i < n; i++) {
      const p = planPacket(rng, LOSSY);
      if (p.deliveriesMs.length === 0) dropped++;
      if (p.deliveriesMs.length === 2) dup++;
      if (p.reordered) reordered++;
      const plain = p.reordered ? p.deliveriesMs.slice(1) : p.deliveriesMs;
      for (const d of plain) if (d < 10 || d > 90) inRange = false;
      if (p.reordered && p.deliveriesMs[0]! <= 90) inRange = false;
    }
    expect(dropped / n).toBeCloseTo(0.2, 1);
    expect(dup / (n - dropped)).toBeCloseTo(0.05, 1);
    expect(reordered / (n - dropped)).toBeCloseTo(0.05, 1);
    expect(inRange).toBe(true);
  });
});

function listen(address: string, port: number): Promise<{ socket: Socket; got: Buffer[] }> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const got: Buffer[] = [];
    socket.on('message', (m) => got.push(m));
    socket.bind({ address, port }, () => resolve({ socket, got }));
  });
}

describe('udp fault relay on loopback', () => {
  it('forwards both ways and drops everything at drop rate 1', async () => {
    const ip = (h: number): string => `127.0.61.${h}`;
    const spec = {
      a: { address: ip(2), port: await freePort(ip(2)) },
      b: { address: ip(3), port: await freePort(ip(3)) },
      relayForA: { address: ip(4), port: await freePort(ip(4)) },
      relayForB: { address: ip(5), port: await freePort(ip(5)) },
    };
    const a = await listen(spec.a.address, spec.a.port);
    const b = await listen(spec.b.address, spec.b.port);
    const relay = await startUdpFaultRelay({ links: [spec], seed: 1, stopAfterMs: 3000 });
    try {
      a.socket.send(Buffer.from('to-b'), spec.relayForA.port, spec.relayForA.address);
      b.socket.send(Buffer.from('to-a'), spec.relayForB.port, spec.relayForB.address);
      await until(() => a.got.length + b.got.length === 2, 2000, 'both datagrams relayed');
      expect(b.got.map(String)).toEqual(['to-b']);
      expect(a.got.map(String)).toEqual(['to-a']);
      relay.setFaults('all', { dropRate: 1, delayMinMs: 0, delayMaxMs: 0, duplicateRate: 0, reorderRate: 0 });
      for (let i = 0; i < 10; i++)
        a.socket.send(Buffer.from('x'), spec.relayForA.port, spec.relayForA.address);
      // The relay decides a datagram's fate when it receives it: once all 10 are in, none can follow.
      await until(() => relay.stats[0]!.received === 12, 2000, 'the relay to receive all 10');
      expect(b.got).toHaveLength(1);
      expect(relay.stats[0]).toMatchObject({ received: 12, forwarded: 2, dropped: 10 });
    } finally {
      await relay.stop();
      a.socket.close();
      b.socket.close();
    }
  });

  it('stops itself after stopAfterMs', async () => {
    const ip = (h: number): string => `127.0.62.${h}`;
    const spec = {
      a: { address: ip(2), port: await freePort(ip(2)) },
      b: { address: ip(3), port: await freePort(ip(3)) },
      relayForA: { address: ip(4), port: await freePort(ip(4)) },
      relayForB: { address: ip(5), port: await freePort(ip(5)) },
    };
    // The self-stop is a timer: fake it, so "after 100 ms" needs no real wait.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const relay = await startUdpFaultRelay({ links: [spec], seed: 1, stopAfterMs: 100 });
      vi.advanceTimersByTime(99);
      // Still running at 99 ms: its port is taken.
      expect(await canBind(spec.relayForA)).toBe(false);
      vi.advanceTimersByTime(1);
      // Stopped at 100 ms: its sockets close (on a later turn of the event loop) and free the port.
      let free = false;
      for (let i = 0; i < 1000 && !free; i++) {
        await new Promise((r) => setImmediate(r));
        free = await canBind(spec.relayForA);
      }
      expect(free).toBe(true);
      expect(relay.stats[0]!.received).toBe(0);
      await relay.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

/** Whether a socket can bind `at` exclusively right now (closed again at once). */
function canBind(at: { address: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => s.close(() => resolve(false)));
    s.bind({ ...at, exclusive: true }, () => s.close(() => resolve(true)));
  });
}
