import { err, ok, type Result } from '../common/result.js';
import type { RejectReason } from './counters.js';
import { ReplayWindow } from './replay-window.js';
import type { Frame } from './wire-format.js';

/** An authenticated frame that passed every stateful check. */
export interface AdmittedFrame {
  readonly frame: Frame;
  /** The frame's incarnation is newer than any seen before from this peer (the peer restarted). */
  readonly newIncarnation: boolean;
  /**
   * The frame echoes our current incarnation: it was sent after the peer heard this very process, so
   * it cannot be a recording from before our start. Only confirmed frames count as proof of life.
   */
  readonly confirmed: boolean;
}

/** Options of `Admission`; rates and times in milliseconds of the receiver's monotonic clock. */
export interface AdmissionOptions {
  readonly cluster: string;
  readonly peerName: string;
  readonly ourIncarnation: number;
  readonly linkCount: number;
  readonly replayWindowSize?: number;
  /**
   * Upper bound on the frames per ms the peer sends (all links, all types). The endpoint uses four
   * times its heartbeat rate, which also covers its requests, responses and handshake heartbeats.
   */
  readonly maxSeqRatePerMs?: number;
  /** Sequence numbers the peer may be ahead beyond the rate bound (bursts, delay variance); default 2048. */
  readonly seqSlack?: number;
}

/** Default rate bound: 4 x 2 links / 200 ms interval (the endpoint passes its own). */
const DEFAULT_MAX_SEQ_RATE_PER_MS = 0.04;
const DEFAULT_SEQ_SLACK = 2048;

/**
 * The receiver's stateful checks after the MAC verified (SAFETY.md, "Authenticated peers"): right
 * cluster, the configured peer (never ourselves), the link it claims, a current incarnation, a fresh
 * and plausible sequence number. Also performs the restart handshake: requests and responses must echo
 * our current incarnation; heartbeats that do not are admitted unconfirmed (they teach us the peer's
 * incarnation so we can echo it) and never count as liveness. No I/O; time is an argument.
 */
export class Admission {
  private peerIncarnation = 0;
  private window = new ReplayWindow();
  /** When (our clock) the window's highest seq was accepted. */
  private highestAtMs = 0;
  /** The last frame too far ahead: a jump is taken only when another frame continues it. */
  private jump: { readonly seq: number; readonly atMs: number } | null = null;
  private readonly maxSeqRatePerMs: number;
  private readonly seqSlack: number;

  constructor(private readonly opts: AdmissionOptions) {
    this.maxSeqRatePerMs = opts.maxSeqRatePerMs ?? DEFAULT_MAX_SEQ_RATE_PER_MS;
    this.seqSlack = opts.seqSlack ?? DEFAULT_SEQ_SLACK;
  }

  /** The highest incarnation admitted from the peer (0 before any). */
  get currentPeerIncarnation(): number {
    return this.peerIncarnation;
  }

  /**
   * Checks a frame that arrived on socket `arrivedOnLink` at `nowMs` (monotonic); records its
   * incarnation and sequence number.
   */
  admit(frame: Frame, arrivedOnLink: number, nowMs: number): Result<AdmittedFrame, RejectReason> {
    if (frame.cluster !== this.opts.cluster) return err('wrong-cluster');
    if (frame.sender !== this.opts.peerName) return err('unknown-sender');
    if (frame.link !== arrivedOnLink || frame.link >= this.opts.linkCount) return err('wrong-link');
    if (frame.incarnation < this.peerIncarnation) return err('old-incarnation');
    const confirmed = frame.echoIncarnation === this.opts.ourIncarnation;
    // SAFETY (Authenticated peers): a request or response from before our restart is a replay.
    if (!confirmed && frame.body.type !== 'heartbeat') return err('unconfirmed');
    const newIncarnation = frame.incarnation > this.peerIncarnation;
    if (newIncarnation) {
      // A restarted sender counts from 1 again: its old window means nothing for the new incarnation.
      this.window = this.freshWindow(frame.seq, nowMs);
      this.peerIncarnation = frame.incarnation;
      return ok({ frame, newIncarnation, confirmed });
    }
    const ahead = this.checkAhead(frame.seq, nowMs);
    if (ahead !== null) return ahead;
    const before = this.window.highestSeq;
    const verdict = this.window.check(frame.seq);
    if (verdict === 'replayed') return err('replayed');
    if (verdict === 'too-old') return err('seq-too-old');
    if (frame.seq > before) this.highestAtMs = nowMs;
    return ok({ frame, newIncarnation, confirmed });
  }

  /** How far the sender's seq can have moved in `elapsedMs`. */
  private maxAdvance(elapsedMs: number): number {
    return this.seqSlack + Math.ceil(Math.max(0, elapsedMs) * this.maxSeqRatePerMs);
  }

  /**
   * SAFETY (Unknown is never dead, Authenticated peers): a seq further ahead than the sender can have
   * sent since our highest must not move the window, or every genuine frame after it would be rejected
   * as too old and a live peer would look lost. Such a frame is dropped; the jump is taken (window
   * re-based) only when a second frame continues it, as a sender that really is that far ahead does.
   * Returns null when `seq` is plausible and the normal window check applies.
   */
  private checkAhead(seq: number, nowMs: number): Result<AdmittedFrame, RejectReason> | null {
    if (seq <= this.window.highestSeq + this.maxAdvance(nowMs - this.highestAtMs)) return null;
    const j = this.jump;
    if (j !== null && seq > j.seq && seq <= j.seq + this.maxAdvance(nowMs - j.atMs)) {
      this.window = this.freshWindow(j.seq, j.atMs);
      return null;
    }
    this.jump = { seq, atMs: nowMs };
    return err('seq-implausible');
  }

  private freshWindow(seq: number, nowMs: number): ReplayWindow {
    const window = new ReplayWindow(this.opts.replayWindowSize);
    window.check(seq);
    this.highestAtMs = nowMs;
    this.jump = null;
    return window;
  }
}
