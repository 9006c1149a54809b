import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/membership-harness.js';
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
      const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100));
      a.socket.send(Buffer.from('to-b'), spec.relayForA.port, spec.relayForA.address);
      b.socket.send(Buffer.from('to-a'), spec.relayForB.port, spec.relayForB.address);
      await settle();
      expect(b.got.map(String)).toEqual(['to-b']);
      expect(a.got.map(String)).toEqual(['to-a']);
      relay.setFaults('all', { dropRate: 1, delayMinMs: 0, delayMaxMs: 0, duplicateRate: 0, reorderRate: 0 });
      for (let i = 0; i < 10; i++)
        a.socket.send(Buffer.from('x'), spec.relayForA.port, spec.relayForA.address);
      await settle();
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
    const b = await listen(spec.b.address, spec.b.port);
    const relay = await startUdpFaultRelay({ links: [spec], seed: 1, stopAfterMs: 100 });
    await new Promise((r) => setTimeout(r, 250));
    const probe = createSocket('udp4');
    probe.send(Buffer.from('late'), spec.relayForA.port, spec.relayForA.address);
    await new Promise((r) => setTimeout(r, 100));
    probe.close();
    b.socket.close();
    expect(b.got).toEqual([]);
    expect(relay.stats[0]!.received).toBe(0);
    await relay.stop();
  });
});
