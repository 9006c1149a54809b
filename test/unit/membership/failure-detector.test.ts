import { describe, expect, it } from 'vitest';
import {
  FailureDetector,
  type DetectorOptions,
  type FrameObservation,
} from '../../../src/membership/failure-detector.js';
import { phi } from '../../../src/membership/phi.js';
import { LossTracker } from '../../../src/membership/loss-tracker.js';

const LINKS = [
  { localAddress: '10.0.0.1', peerAddress: '10.0.0.2' },
  { localAddress: '10.1.0.1', peerAddress: '10.1.0.2' },
];
const OPTS: DetectorOptions = { intervalMs: 200, warntimeMs: 1000, deadtimeMs: 2000 };

function hb(link: number, seq: number, extra: Partial<FrameObservation> = {}): FrameObservation {
  return {
    link,
    incarnation: 7,
    newIncarnation: seq === 1,
    confirmed: true,
    seq,
    heartbeatLinkSeq: seq,
    rttSampleMs: null,
    report: null,
    ...extra,
  };
}

/** Feeds heartbeats every 200 ms on the given links from t0 to t1, ticking every 50 ms. */
function run(
  d: FailureDetector,
  t0: number,
  t1: number,
  linksUp: number[],
  seq0: number,
): { events: string[]; seq: number } {
  const events: string[] = [];
  let seq = seq0;
  for (let t = t0; t < t1; t += 50) {
    if ((t - t0) % 200 === 0)
      for (const l of linksUp) events.push(...d.observe(t, hb(l, ++seq)).map((e) => e.kind));
    events.push(...d.tick(t).map((e) => e.kind));
  }
  return { events, seq };
}

describe('FailureDetector (fixed timeouts)', () => {
  it('a never-heard peer is unreachable and not everHeard, without events', () => {
    const d = new FailureDetector(LINKS, OPTS, 0);
    for (let t = 50; t <= 10_000; t += 50) expect(d.tick(t)).toEqual([]);
    expect(d.view()).toMatchObject({ reachable: false, everHeard: false, incarnation: null, report: null });
    expect(d.view().links.map((l) => l.state)).toEqual(['down', 'down']);
  });

  it('goes up, late at warntime, down at deadtime, and emits each transition once', () => {
    const d = new FailureDetector(LINKS, OPTS, 0);
    const first = run(d, 0, 1000, [0], 0);
    expect(first.events).toEqual(['link-up', 'peer-back']);
    // Last heartbeat at 800: late at 1800, down (and peer lost) at 2800.
    const events: [number, string][] = [];
    for (let t = 1000; t <= 3000; t += 50) for (const e of d.tick(t)) events.push([t, e.kind]);
    expect(events).toEqual([
      [1800, 'link-late'],
      [2800, 'link-down'],
      [2800, 'peer-lost'],
    ]);
    expect(d.view()).toMatchObject({ reachable: false, everHeard: true });
  });

  it('unconfirmed frames teach the incarnation but are never proof of life', () => {
    const d = new FailureDetector(LINKS, OPTS, 0);
    expect(d.observe(0, hb(0, 1, { confirmed: false }))).toEqual([]);
    expect(d.view()).toMatchObject({ reachable: false, everHeard: false, incarnation: 7 });
    expect(d.observe(10, hb(0, 2, { newIncarnation: true, incarnation: 8, confirmed: false }))).toMatchObject(
      [{ kind: 'peer-restarted', incarnation: 8, previousIncarnation: 7 }],
    );
  });

  it('keeps the newest report by sequence number, smooths RTT and measures loss', () => {
    const d = new FailureDetector(LINKS, OPTS, 0);
    const report = { resources: [], standby: true, maintenance: false, health: 'ok' as const };
    d.observe(0, hb(0, 5, { report, rttSampleMs: 10 }));
    d.observe(1, hb(1, 4, { report: null, rttSampleMs: 20 }));
    expect(d.view().report).toEqual(report);
    d.observe(2, hb(0, 6, { heartbeatLinkSeq: 10, rttSampleMs: 18 }));
    const v = d.view();
    expect(v.links[0]?.rttMs).toBeCloseTo(11, 5);
    expect(v.links[1]?.rttMs).toBe(20);
    // link 0 saw heartbeat counters 5 and 10 of 5..10: 4 of 6 lost.
    expect(v.links[0]?.lossRate).toBeCloseTo(4 / 6, 5);
  });

  it('after its own stall, holds back down verdicts for the grace period and re-checks', () => {
    const d = new FailureDetector(LINKS, OPTS, 0);
    run(d, 0, 1000, [0, 1], 0);
    // No tick between 950 and 4000: we were stalled. The peer's frames are still unread.
    const events = d.tick(4000).map((e) => e.kind);
    expect(events).toContain('stall');
    expect(events).not.toContain('link-down');
    expect(events).not.toContain('peer-lost');
    expect(d.view().stallGraceUntilMs).toBe(4000 + 500);
    // The queued frames are read: no down at all.
    d.observe(4001, hb(0, 100));
    d.observe(4001, hb(1, 101));
    expect(d.tick(4050).map((e) => e.kind)).toEqual([]);
    expect(d.view().links.map((l) => l.state)).toEqual(['up', 'up']);
  });

  it('declares down after the grace when nothing arrives', () => {
    const d = new FailureDetector(LINKS, OPTS, 0);
    run(d, 0, 1000, [0, 1], 0);
    d.tick(4000);
    const during = [4100, 4200, 4300, 4400].flatMap((t) => d.tick(t).map((e) => e.kind));
    expect(during).not.toContain('peer-lost');
    expect(d.tick(4500).map((e) => e.kind)).toEqual(['link-down', 'link-down', 'peer-lost']);
    expect(d.view().stallGraceUntilMs).toBeNull();
  });
});

describe('FailureDetector (phi accrual)', () => {
  it('phi grows with silence and is ~0 before the mean', () => {
    expect(phi(100, 200, 50)).toBeLessThan(0.01);
    expect(phi(200, 200, 50)).toBeCloseTo(0.301, 2);
    expect(phi(600, 200, 50)).toBeGreaterThan(8);
    expect(Number.isFinite(phi(1e6, 200, 50))).toBe(true);
  });

  it('declares down earlier than deadtime on a steady link, never before minSilence, at deadtime at the latest', () => {
    const d = new FailureDetector(LINKS, { ...OPTS, mode: { kind: 'phi', threshold: 8 } }, 0);
    run(d, 0, 4000, [0], 0);
    // Last heartbeat at 3800 with a steady 200 ms rhythm: sd floored at 50 -> phi 8 near 3800 + 200 + 5.6*50.
    let downAt = -1;
    for (let t = 4000; t <= 7000 && downAt < 0; t += 10)
      if (d.tick(t).some((e) => e.kind === 'link-down')) downAt = t;
    expect(downAt - 3800).toBeGreaterThanOrEqual(600); // minSilence = 3 x interval
    expect(downAt - 3800).toBeLessThan(2000);
  });

  it('loss tracker counts late arrivals within its window', () => {
    const t = new LossTracker(10);
    expect(t.lossRate()).toBeNull();
    for (const s of [1, 2, 4, 5]) t.record(s);
    expect(t.lossRate()).toBeCloseTo(1 / 5, 5);
    t.record(3);
    expect(t.lossRate()).toBe(0);
    t.record(30);
    expect(t.lossRate()).toBeCloseTo(9 / 10, 5);
  });
});
