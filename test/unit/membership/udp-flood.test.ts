/**
 * A flood of garbage and bad-MAC packets against a live pair on loopback UDP (issue 12.4): the peer
 * stays reachable throughout, every packet is counted, and rejection log lines stay bounded. Also
 * measures the receiver's CPU time per rejected packet (printed, not asserted: speed belongs in bench/).
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeFrame,
  REJECT_REASONS,
  type RejectReason,
} from '../../../src/membership/index.js';
import { REPO_ROOT } from '../../support/membership-harness.js';
import { PAIR_KEY, startUdpPair, until, type UdpPair } from '../../support/membership-udp-pair.js';

const FLOODER = fileURLToPath(new URL('../../support/membership-flooder.ts', import.meta.url));
const TOTAL = 150_000;
/** Packets in flight at most: well below what the receiver's socket buffer holds. */
const WINDOW = 100;
const LOG_INTERVAL_MS = 1000;

let pair: UdpPair | undefined;
afterAll(() => pair?.stop());

const sumRejected = (p: UdpPair): number =>
  Object.values(p.alpha.counters.rejected).reduce((a, b) => a + b, 0);

describe('a flood against a live pair', () => {
  it('keeps the peer reachable, counts every packet, and logs a bounded number of lines', async () => {
    const p = await startUdpPair(63, { rejectLogIntervalMs: LOG_INTERVAL_MS });
    pair = p;
    await until(
      () => [p.alpha, p.bravo].every((ep) => ep.view().links.every((l) => l.state === 'up')),
      5000,
      'every link up on both sides',
    );

    // Half garbage (no magic), half well-formed frames signed with another key: the two cheap rejections.
    const genuine = decodeFrame(p.fromBravo[p.fromBravo.length - 1]!.datagram, PAIR_KEY);
    if (!genuine.ok) throw new Error(genuine.error);
    const packets: { kind: RejectReason; b64: string }[] = [];
    for (let i = 0; i < 32; i++) {
      const g = randomBytes(100 + i * 15);
      g[0] = 0x00;
      packets.push({ kind: 'bad-magic', b64: g.toString('base64') });
      const forged = encodeFrame(
        { ...genuine.value, seq: genuine.value.seq + i + 1 },
        Buffer.from(`wrong key ${i}`),
      );
      if (!forged.ok) throw new Error(forged.error);
      packets.push({ kind: 'bad-mac', b64: forged.value.toString('base64') });
    }
    const targets = p.linksA.map((l) => ({ address: l.localAddress, port: l.localPort }));
    const child = fork(FLOODER, [JSON.stringify({ targets, packets })], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let last: { sent: number; byKind: Record<string, number> } = { sent: 0, byKind: {} };
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    await new Promise<void>((resolve) =>
      child.on('message', (m: { ready?: boolean; sent?: number; byKind?: Record<string, number> }) => {
        if (m.ready === true) resolve();
        if (m.sent !== undefined && m.byKind !== undefined) last = { sent: m.sent, byKind: m.byKind };
      }),
    );

    const before = { ...p.alpha.counters.rejected };
    const rejectedBefore = sumRejected(p);
    const linksBefore = p.alpha.counters.links.map((l) => l.rejected['bad-mac'] + l.rejected['bad-magic']);
    const logLinesBefore = p.alphaLog.length;
    const samples: boolean[] = [];
    const sampler = setInterval(() => {
      samples.push(
        p.alpha.view().reachable &&
          p.bravo.view().reachable &&
          p.alpha.view().links.every((l) => l.state !== 'down'),
      );
    }, 50);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const pacer = setInterval(() => {
      const counted = sumRejected(p) - rejectedBefore;
      child.send({ allow: Math.min(TOTAL, counted + WINDOW) });
    }, 1);
    try {
      await until(
        () => sumRejected(p) - rejectedBefore >= TOTAL,
        120_000,
        'every flood packet to be counted',
      );
    } finally {
      clearInterval(pacer);
    }
    const elapsedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    child.send({ stop: true });
    await exited;

    // Counted: each packet once, under its reason, on the link it arrived on.
    expect(last.sent).toBe(TOTAL);
    const delta = (r: RejectReason): number => p.alpha.counters.rejected[r] - before[r];
    expect(delta('bad-magic')).toBe(last.byKind['bad-magic']);
    expect(delta('bad-mac')).toBe(last.byKind['bad-mac']);
    for (const r of REJECT_REASONS)
      if (r !== 'bad-magic' && r !== 'bad-mac') expect({ r, n: delta(r) }).toEqual({ r, n: 0 });
    const perLink = p.alpha.counters.links.map(
      (l, i) => l.rejected['bad-mac'] + l.rejected['bad-magic'] - linksBefore[i]!,
    );
    expect(perLink).toEqual([TOTAL / 2, TOTAL / 2]);

    // The peer stayed reachable on both sides at every sample.
    expect(samples.length).toBeGreaterThan(5);
    expect(samples.filter((s) => !s)).toEqual([]);

    // Log lines: at most one per reason per interval, each saying how many it suppressed.
    const lines = p.alphaLog.slice(logLinesBefore).filter((l) => l.msg === 'packet rejected');
    const bound = 2 * (Math.ceil(elapsedMs / LOG_INTERVAL_MS) + 1);
    expect(lines.length).toBeLessThanOrEqual(bound);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(new Set(lines.map((l) => l.reason))).toEqual(new Set(['bad-magic', 'bad-mac']));
    const reported = lines.reduce((n, l) => n + 1 + (l.suppressed as number), 0);
    expect(reported).toBeLessThanOrEqual(TOTAL + 2);

    const cpuUsPerPacket = (cpu.user + cpu.system) / TOTAL;
    console.log(
      JSON.stringify({
        floodPackets: TOTAL,
        elapsedMs: Math.round(elapsedMs),
        rejectedPerSecond: Math.round((TOTAL / elapsedMs) * 1000),
        receiverProcessCpuUsPerRejectedPacket: Number(cpuUsPerPacket.toFixed(2)),
        logLines: lines.length,
        reachableSamples: samples.length,
      }),
    );
  }, 180_000);
});
