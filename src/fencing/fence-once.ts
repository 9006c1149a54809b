/**
 * One node fence per loss episode. The engine's fence-peer action and DRBD's fence-peer handler both
 * reach the fence port when the peer is lost, a few ms apart; without this each ran the handler chain
 * (two power-offs of one node, two STONITH device sessions racing). A caller that arrives while a fence
 * runs waits for that fence's outcome; a fence that succeeded answers later callers at once for as long
 * as the peer has not been heard from since (the same loss episode).
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { FenceOutcome, FencePort } from '../executor/ports.js';

export interface FenceOnceOptions {
  /** The handler chain (read per call, so a reloaded configuration takes effect for the next fence). */
  readonly inner: () => FencePort;
  readonly clock: Clock;
  /**
   * Whether any authenticated frame of the peer arrived after `atMs` (monotonic ms): a peer heard after
   * its fence came back (or was never off), and a new loss of it is a new episode.
   */
  readonly heardSince: (atMs: number) => boolean;
  readonly logger?: Logger;
}

export interface FenceOnce extends FencePort {
  /** Handler chain runs so far (for status and tests). */
  readonly runs: number;
}

/** Wraps `inner` with the single-flight and the per-episode memory of a successful fence. */
export function fenceOnce(options: FenceOnceOptions): FenceOnce {
  let running: Promise<FenceOutcome> | null = null;
  let fenced: { atMs: number; outcome: FenceOutcome } | null = null;
  let runs = 0;
  const fencePeer = async (reason: string, signal?: AbortSignal): Promise<FenceOutcome> => {
    if (running !== null) {
      options.logger?.info(
        { code: 'FENCE_JOINED', reason },
        'fence already running; waiting for its outcome',
      );
      return running;
    }
    if (fenced !== null && !options.heardSince(fenced.atMs)) {
      options.logger?.info(
        { code: 'FENCE_ALREADY_DONE', reason, fencedAtMs: fenced.atMs },
        'peer already fenced in this loss episode; handlers not run again',
      );
      return { ...fenced.outcome, detail: `already fenced (not heard since): ${fenced.outcome.detail}` };
    }
    runs += 1;
    const run = options
      .inner()
      .fencePeer(reason, signal)
      .then((outcome) => {
        fenced = outcome.status === 'fenced' ? { atMs: options.clock.nowMs(), outcome } : null;
        return outcome;
      })
      .finally(() => {
        running = null;
      });
    running = run;
    return run;
  };
  return {
    fencePeer,
    get runs() {
      return runs;
    },
  };
}
