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

/**
 * The receiver's stateful checks after the MAC verified (SAFETY.md, "Authenticated peers"): right
 * cluster, the configured peer (never ourselves), the link it claims, a current incarnation, a fresh
 * sequence number. Also performs the restart handshake: requests and responses must echo our current
 * incarnation; heartbeats that do not are admitted unconfirmed (they teach us the peer's incarnation so
 * we can echo it) and never count as liveness. No I/O, no clock.
 */
export class Admission {
  private peerIncarnation = 0;
  private window = new ReplayWindow();

  constructor(
    private readonly opts: {
      readonly cluster: string;
      readonly peerName: string;
      readonly ourIncarnation: number;
      readonly linkCount: number;
      readonly replayWindowSize?: number;
    },
  ) {}

  /** The highest incarnation admitted from the peer (0 before any). */
  get currentPeerIncarnation(): number {
    return this.peerIncarnation;
  }

  /** Checks a frame that arrived on socket `arrivedOnLink`; records its incarnation and sequence number. */
  admit(frame: Frame, arrivedOnLink: number): Result<AdmittedFrame, RejectReason> {
    if (frame.cluster !== this.opts.cluster) return err('wrong-cluster');
    if (frame.sender !== this.opts.peerName) return err('unknown-sender');
    if (frame.link !== arrivedOnLink || frame.link >= this.opts.linkCount) return err('wrong-link');
    if (frame.incarnation < this.peerIncarnation) return err('old-incarnation');
    const confirmed = frame.echoIncarnation === this.opts.ourIncarnation;
    // SAFETY (Authenticated peers): a request or response from before our restart is a replay.
    if (!confirmed && frame.body.type !== 'heartbeat') return err('unconfirmed');
    const newIncarnation = frame.incarnation > this.peerIncarnation;
    if (newIncarnation) {
      const window = new ReplayWindow(this.opts.replayWindowSize);
      window.check(frame.seq);
      this.window = window;
      this.peerIncarnation = frame.incarnation;
    } else {
      const verdict = this.window.check(frame.seq);
      if (verdict === 'replayed') return err('replayed');
      if (verdict === 'too-old') return err('seq-too-old');
    }
    return ok({ frame, newIncarnation, confirmed });
  }
}
