/**
 * DRBD's fence-peer handler exit codes (its protocol, see the table in engine/fence-peer-exit.ts) and
 * the answer the daemon gives the handler. Here, below the engine, because the `fence-peer` command
 * that DRBD runs loads them on its hot path without the engine.
 */
export const FENCE_PEER_EXIT = {
  PEER_INCONSISTENT: 3,
  PEER_OUTDATED: 4,
  PEER_DOWN: 5,
  PEER_PRIMARY: 6,
  PEER_STONITHED: 7,
  FAILURE: 1,
} as const;

export type FencePeerExitCode = (typeof FENCE_PEER_EXIT)[keyof typeof FENCE_PEER_EXIT];

/** The answer for the fence-peer entry point (control protocol's FencePeerResult). */
export interface FencePeerAnswer {
  readonly exitCode: FencePeerExitCode;
  readonly message: string;
}
