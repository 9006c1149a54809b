import type { NodeReport } from './node-report.js';
import type { LinkState, LinkView, MembershipEvent, PeerView } from './peer-view.js';
import { LossTracker } from './loss-tracker.js';
import { ArrivalWindow, phi } from './phi.js';

/** How a link turns `down`: fixed timeouts (Heartbeat's warntime/deadtime) or phi-accrual. */
export type DetectorMode =
  | { readonly kind: 'fixed' }
  | {
      readonly kind: 'phi';
      /** Suspicion at which a link is declared down (8 is Akka's default: ~1e-8 chance of a mistake). */
      readonly threshold: number;
      /** Never down before this much silence, whatever phi says; default 3 x intervalMs. */
      readonly minSilenceMs?: number;
      /** Floor of the inter-arrival standard deviation; default intervalMs / 4. */
      readonly minStdDevMs?: number;
    };

/** Detector settings; every duration in milliseconds. */
export interface DetectorOptions {
  /** The peer's heartbeat interval. */
  readonly intervalMs: number;
  /** Silence after which a link is `late`. */
  readonly warntimeMs: number;
  /** Silence after which a link is `down` (in phi mode: at the latest). */
  readonly deadtimeMs: number;
  readonly mode?: DetectorMode;
  /**
   * A gap between two of our own ticks longer than this means this process stalled (event loop
   * blocked, SIGSTOP, VM paused); default 2 x intervalMs.
   */
  readonly stallThresholdMs?: number;
  /** After a stall, no link goes `down` until this much time has passed; default 2 x intervalMs + 100. */
  readonly stallGraceMs?: number;
}

/** What the transport learned from one authenticated, admitted frame. */
export interface FrameObservation {
  readonly link: number;
  readonly incarnation: number;
  readonly newIncarnation: boolean;
  /** Echoed our incarnation: proof of life (see `Admission`). Unconfirmed frames only teach the incarnation. */
  readonly confirmed: boolean;
  readonly seq: number;
  /** The peer's per-link heartbeat counter, for heartbeats; null for other frames. */
  readonly heartbeatLinkSeq: number | null;
  /** A round-trip sample computed from the frame's echo, or null. */
  readonly rttSampleMs: number | null;
  /** The report of a heartbeat (undefined for other frames). */
  readonly report?: NodeReport | null;
}

interface LinkTrack {
  readonly index: number;
  readonly localAddress: string;
  readonly peerAddress: string;
  state: LinkState;
  lastHeardAtMs: number | null;
  rttMs: number | null;
  readonly loss: LossTracker;
  readonly arrivals: ArrivalWindow;
}

/**
 * The failure detector: per-link `up`/`late`/`down`, RTT, loss, reachability of the peer, and the
 * stall guard. Deterministic and free of I/O: time is always an argument (the caller reads its
 * injected Clock), so tests drive it with a VirtualClock and never sleep.
 *
 * SAFETY (Unknown is never dead): `down` only says the peer is unreachable on that link.
 * SAFETY (Monotonic time): after our own stall no link goes down before a grace re-check.
 */
export class FailureDetector {
  private readonly links: LinkTrack[];
  private readonly mode: DetectorMode;
  private readonly stallThresholdMs: number;
  private readonly stallGraceMs: number;
  private lastTickAtMs: number;
  private graceUntilMs: number | null = null;
  private everHeard = false;
  private reachable = false;
  private incarnation: number | null = null;
  private report: NodeReport | null = null;
  private reportAtMs: number | null = null;
  private reportSeq = 0;

  constructor(
    links: readonly { readonly localAddress: string; readonly peerAddress: string }[],
    private readonly opts: DetectorOptions,
    startMs: number,
  ) {
    this.links = links.map((l, index) => ({
      index,
      localAddress: l.localAddress,
      peerAddress: l.peerAddress,
      state: 'down',
      lastHeardAtMs: null,
      rttMs: null,
      loss: new LossTracker(),
      arrivals: new ArrivalWindow(),
    }));
    this.mode = opts.mode ?? { kind: 'fixed' };
    this.stallThresholdMs = opts.stallThresholdMs ?? 2 * opts.intervalMs;
    this.stallGraceMs = opts.stallGraceMs ?? 2 * opts.intervalMs + 100;
    this.lastTickAtMs = startMs;
  }

  /** Records an admitted frame at `nowMs`; returns the transitions it caused. */
  observe(nowMs: number, f: FrameObservation): MembershipEvent[] {
    const events: MembershipEvent[] = [];
    const link = this.links[f.link];
    if (link === undefined) return events;
    if (f.newIncarnation) {
      const previous = this.incarnation;
      this.incarnation = f.incarnation;
      // A new process: its counters restart, its old report no longer holds.
      this.report = null;
      this.reportAtMs = null;
      this.reportSeq = 0;
      for (const l of this.links) {
        l.loss.reset();
        l.rttMs = null;
      }
      if (previous !== null)
        events.push({
          kind: 'peer-restarted',
          atMs: nowMs,
          incarnation: f.incarnation,
          previousIncarnation: previous,
        });
    }
    if (!f.confirmed) return events;

    if (link.lastHeardAtMs !== null && link.state !== 'down') link.arrivals.add(nowMs - link.lastHeardAtMs);
    else link.arrivals.clear();
    link.lastHeardAtMs = nowMs;
    if (f.heartbeatLinkSeq !== null) link.loss.record(f.heartbeatLinkSeq);
    if (f.rttSampleMs !== null && f.rttSampleMs >= 0)
      link.rttMs = link.rttMs === null ? f.rttSampleMs : link.rttMs + (f.rttSampleMs - link.rttMs) / 8;
    if (f.report !== undefined && f.seq > this.reportSeq) {
      this.report = f.report;
      this.reportAtMs = nowMs;
      this.reportSeq = f.seq;
    }
    if (link.state === 'down') events.push({ kind: 'link-up', atMs: nowMs, link: link.index });
    link.state = 'up';
    const firstContact = !this.everHeard;
    this.everHeard = true;
    if (!this.reachable) {
      this.reachable = true;
      events.push({ kind: 'peer-back', atMs: nowMs, firstContact });
    }
    return events;
  }

  /** Re-evaluates every link at `nowMs` (call it often: every intervalMs / 4 is plenty). */
  tick(nowMs: number): MembershipEvent[] {
    const events: MembershipEvent[] = [];
    const gapMs = nowMs - this.lastTickAtMs;
    this.lastTickAtMs = Math.max(this.lastTickAtMs, nowMs);
    if (gapMs > this.stallThresholdMs) {
      // We did not run for gapMs: frames may sit unread in the socket buffers. Re-check first.
      this.graceUntilMs = nowMs + this.stallGraceMs;
      events.push({ kind: 'stall', atMs: nowMs, gapMs, graceUntilMs: this.graceUntilMs });
    }
    if (this.graceUntilMs !== null && nowMs >= this.graceUntilMs) this.graceUntilMs = null;
    for (const link of this.links) {
      const next = this.assess(link, nowMs);
      if (next === link.state) continue;
      if (next === 'late') events.push({ kind: 'link-late', atMs: nowMs, link: link.index });
      if (next === 'down') events.push({ kind: 'link-down', atMs: nowMs, link: link.index });
      link.state = next;
    }
    const reachable = this.links.some((l) => l.state !== 'down');
    if (this.reachable && !reachable) events.push({ kind: 'peer-lost', atMs: nowMs });
    this.reachable = reachable;
    return events;
  }

  private assess(link: LinkTrack, nowMs: number): LinkState {
    if (link.lastHeardAtMs === null || link.state === 'down') return 'down';
    const silenceMs = nowMs - link.lastHeardAtMs;
    let verdict: LinkState;
    const mode = this.mode;
    switch (mode.kind) {
      case 'fixed':
        verdict =
          silenceMs >= this.opts.deadtimeMs ? 'down' : silenceMs >= this.opts.warntimeMs ? 'late' : 'up';
        break;
      case 'phi': {
        const p = this.phiOf(link, silenceMs, mode);
        const minSilenceMs = mode.minSilenceMs ?? 3 * this.opts.intervalMs;
        if (silenceMs >= this.opts.deadtimeMs || (p >= mode.threshold && silenceMs >= minSilenceMs))
          verdict = 'down';
        else if (
          silenceMs >= this.opts.warntimeMs ||
          (p >= mode.threshold / 2 && silenceMs >= this.opts.intervalMs)
        )
          verdict = 'late';
        else verdict = 'up';
        break;
      }
    }
    // SAFETY (Monotonic time): silence we caused ourselves by stalling is no evidence.
    if (verdict === 'down' && this.graceUntilMs !== null) return 'late';
    return verdict;
  }

  private phiOf(link: LinkTrack, silenceMs: number, mode: Extract<DetectorMode, { kind: 'phi' }>): number {
    // Too few samples: assume the configured interval.
    const mean = link.arrivals.count >= 3 ? link.arrivals.mean() : this.opts.intervalMs;
    const floor = mode.minStdDevMs ?? this.opts.intervalMs / 4;
    const sd = Math.max(floor, link.arrivals.count >= 3 ? link.arrivals.stdDev() : 0);
    return phi(silenceMs, mean, sd);
  }

  /** Current phi of each link at `nowMs` (0 for never-heard links); for diagnostics. */
  phiValues(nowMs: number): number[] {
    const mode: Extract<DetectorMode, { kind: 'phi' }> =
      this.mode.kind === 'phi' ? this.mode : { kind: 'phi', threshold: 8 };
    return this.links.map((l) =>
      l.lastHeardAtMs === null ? 0 : this.phiOf(l, nowMs - l.lastHeardAtMs, mode),
    );
  }

  /** An immutable snapshot for the engine. */
  view(): PeerView {
    const links: LinkView[] = this.links.map((l) => ({
      index: l.index,
      localAddress: l.localAddress,
      peerAddress: l.peerAddress,
      state: l.state,
      rttMs: l.rttMs,
      lossRate: l.loss.lossRate(),
      lastHeardAtMs: l.lastHeardAtMs,
    }));
    return {
      reachable: this.reachable,
      everHeard: this.everHeard,
      links,
      report: this.report,
      reportAtMs: this.reportAtMs,
      incarnation: this.incarnation,
      stallGraceUntilMs: this.graceUntilMs,
    };
  }
}
