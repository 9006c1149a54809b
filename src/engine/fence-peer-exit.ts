/**
 * DRBD's fence-peer handler exit codes and how `drbd-sentinel fence-peer` arrives at one. Pure (the
 * engine's: fence-peer answers are decisions, journaled and replayed; see answers.ts).
 *
 * What DRBD (8.4 and 9, `conn_try_outdate_peer` in drbd_nl.c) does with each code:
 *
 * | exit | meaning | DRBD then |
 * | --- | --- | --- |
 * | 3 | the peer's disk is already Inconsistent (or worse) | marks the peer disk Inconsistent, resumes I/O |
 * | 4 | the peer's disk was outdated (or already was Outdated) | marks the peer disk Outdated, resumes I/O |
 * | 5 | the peer is down / unreachable | marks the peer disk Outdated if the local disk is UpToDate, resumes I/O |
 * | 6 | the peer is Primary: refuse | outdates the *local* disk (a Secondary that tried to promote gives way) |
 * | 7 | the peer was STONITHed (node fencing) | marks the peer disk Outdated, resumes I/O |
 * | other (1) | failure | treats the handler as broken: with `resource-and-stonith` I/O stays frozen |
 */

import { FENCE_PEER_EXIT, type FencePeerExitCode } from '../drbd/fence-peer-codes.js';
import type { FencingPolicy } from './policy.js';

export { FENCE_PEER_EXIT, type FencePeerAnswer, type FencePeerExitCode } from '../drbd/fence-peer-codes.js';

/**
 * The daemon's answer to "get the peer's disk of R outdated over the heartbeat links".
 * `failed` is only the definite "I am reachable but my DRBD failed to outdate"; `slow` is a peer that
 * stayed reachable on the heartbeat links without answering within the cap; `refused` is any other
 * answer that did not outdate (unknown resource, standby, a DRBD that would not let go of the link).
 */
export const OUTDATE_ANSWERS = [
  'outdated',
  'already-outdated',
  'inconsistent',
  'peer-primary',
  'unreachable',
  'failed',
  'slow',
  'refused',
] as const;
export type OutdateAnswer = (typeof OUTDATE_ANSWERS)[number];

/** What fence-peer does after the daemon's answer: exit with a code, or fence the node first. */
export type FencePeerStep =
  | { readonly kind: 'exit'; readonly code: FencePeerExitCode; readonly why: string }
  | { readonly kind: 'fence-node'; readonly why: string };

/**
 * The step after the outdate answer, per fencing policy.
 *
 * - `outdated` / `already-outdated` -> 4; `inconsistent` -> 3; `peer-primary` -> 6.
 * - `unreachable` (no answer on any heartbeat link): with `stonith`, fence the node (then 7 on
 *   success, 1 on failure: I/O stays frozen rather than writing on next to a possibly alive peer);
 *   with `resource-only` or `none`, 5 (DRBD's "peer down"): the peer's daemon will not take over
 *   from an unreachable Primary under those policies without an operator (SAFETY.md), which
 *   is what makes writing on alone safe.
 * - `failed` (the peer answered that its DRBD failed to outdate): with `stonith`, fence the node;
 *   otherwise 1. Never 5: a peer that answers is not down.
 * - `slow` and `refused`: 1 under every policy. A peer that answers the heartbeat is never node-fenced
 *   over a slow or refused answer; with `resource-and-stonith` DRBD keeps I/O frozen meanwhile, which
 *   is the safe side, and the operator is paged.
 */
export function fencePeerStep(answer: OutdateAnswer, policy: FencingPolicy): FencePeerStep {
  switch (answer) {
    case 'outdated':
      return { kind: 'exit', code: FENCE_PEER_EXIT.PEER_OUTDATED, why: 'peer disk outdated' };
    case 'already-outdated':
      return { kind: 'exit', code: FENCE_PEER_EXIT.PEER_OUTDATED, why: 'peer disk already outdated' };
    case 'inconsistent':
      return {
        kind: 'exit',
        code: FENCE_PEER_EXIT.PEER_INCONSISTENT,
        why: 'peer disk inconsistent or worse',
      };
    case 'peer-primary':
      return { kind: 'exit', code: FENCE_PEER_EXIT.PEER_PRIMARY, why: 'peer is primary' };
    case 'unreachable':
      return policy === 'stonith'
        ? { kind: 'fence-node', why: 'peer unreachable on every heartbeat link' }
        : { kind: 'exit', code: FENCE_PEER_EXIT.PEER_DOWN, why: `peer unreachable (policy ${policy})` };
    case 'failed':
      return policy === 'stonith'
        ? { kind: 'fence-node', why: 'peer could not outdate its disk' }
        : { kind: 'exit', code: FENCE_PEER_EXIT.FAILURE, why: 'peer could not outdate its disk' };
    case 'slow':
      return {
        kind: 'exit',
        code: FENCE_PEER_EXIT.FAILURE,
        why: 'peer reachable on the heartbeat links but slow to answer; not fenced',
      };
    case 'refused':
      return {
        kind: 'exit',
        code: FENCE_PEER_EXIT.FAILURE,
        why: 'peer did not outdate its disk; not fenced',
      };
  }
}

/** The exit code after node fencing was tried. */
export function afterNodeFence(fenced: boolean): FencePeerExitCode {
  return fenced ? FENCE_PEER_EXIT.PEER_STONITHED : FENCE_PEER_EXIT.FAILURE;
}
