import type { NodeReport } from './node-report.js';

/**
 * `up`: heard within `warntime`; `late`: silent for `warntime` or more (still counts as reachable);
 * `down`: silent for `deadtime` (or never heard in this process).
 */
export type LinkState = 'up' | 'late' | 'down';

/** One heartbeat link as the engine sees it. Times are monotonic milliseconds (the daemon's Clock). */
export interface LinkView {
  readonly index: number;
  readonly localAddress: string;
  readonly peerAddress: string;
  readonly state: LinkState;
  /** Smoothed round-trip time (EWMA, 1/8 weight per sample as in TCP), null before the first sample. */
  readonly rttMs: number | null;
  /** Fraction of the peer's last heartbeats (window of 100) that did not arrive; null before two arrived. */
  readonly lossRate: number | null;
  /** When the last confirmed frame arrived on this link, or null if none did. */
  readonly lastHeardAtMs: number | null;
}

/**
 * What membership knows about the peer, for the engine's observation. Immutable snapshot.
 *
 * SAFETY (Unknown is never dead): `reachable: false` means unreachable, not dead; `everHeard: false`
 * means this process has never had a confirmed frame from the peer.
 */
export interface PeerView {
  /** At least one link is not `down`. */
  readonly reachable: boolean;
  readonly everHeard: boolean;
  readonly links: readonly LinkView[];
  /** The newest report (highest sequence number) of the peer's current incarnation, or null. */
  readonly report: NodeReport | null;
  readonly reportAtMs: number | null;
  /** The peer's current incarnation (any authenticated frame), or null before any. */
  readonly incarnation: number | null;
  /**
   * Set while the stall guard holds back `down` verdicts after this process itself stalled (until that
   * time, monotonic ms); null otherwise.
   */
  readonly stallGraceUntilMs: number | null;
}

/** Transitions, emitted in the order they happened. `atMs` is monotonic. */
export type MembershipEvent =
  | { readonly kind: 'peer-lost'; readonly atMs: number }
  /** The peer became reachable; `firstContact` on the first time in this process. */
  | { readonly kind: 'peer-back'; readonly atMs: number; readonly firstContact: boolean }
  | { readonly kind: 'link-up'; readonly atMs: number; readonly link: number }
  | { readonly kind: 'link-late'; readonly atMs: number; readonly link: number }
  | { readonly kind: 'link-down'; readonly atMs: number; readonly link: number }
  /** An authenticated frame of a newer incarnation arrived: the peer process restarted. */
  | {
      readonly kind: 'peer-restarted';
      readonly atMs: number;
      readonly incarnation: number;
      readonly previousIncarnation: number;
    }
  /** This process was stalled for `gapMs`; `down` verdicts are held back until `graceUntilMs`. */
  | { readonly kind: 'stall'; readonly atMs: number; readonly gapMs: number; readonly graceUntilMs: number };

export type MembershipEventKind = MembershipEvent['kind'];
