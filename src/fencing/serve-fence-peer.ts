/**
 * The daemon's side of `drbd-sentinel fence-peer` (control op `fence-peer`): get the peer's disk
 * outdated over the heartbeat links, fall back to node fencing per policy, and answer with DRBD's
 * exit code. The control server's `fence-peer` handler calls `serveFencePeer`.
 */
import type { Clock } from '../common/clock.js';
import { clockSleep } from '../executor/budget.js';
import type { FenceOutcome } from '../executor/ports.js';
import type { FencePeerExitCode, OutdateAnswer } from '../engine/fence-peer-exit.js';
import type { FencingPolicy } from '../engine/policy.js';
import { afterNodeFence, fencePeerStep } from '../engine/fence-peer-exit.js';
import { summarizeHandlers } from './handler-chain.js';

/** The answer for the fence-peer entry point (control protocol's FencePeerResult). */
export interface FencePeerAnswer {
  readonly exitCode: FencePeerExitCode;
  readonly message: string;
}

export interface ServeFencePeerDeps {
  /** `fencing.policy`. */
  readonly policy: FencingPolicy;
  /** Asks the peer to outdate its disk (membership's outdate request read with `outdateAnswerOf`). */
  outdatePeer(resource: string): Promise<{ readonly answer: OutdateAnswer; readonly detail: string }>;
  /** Node fencing: the handler chain (e.g. `createFencePort(...).fencePeer`). */
  fenceNode(reason: string): Promise<FenceOutcome>;
  /**
   * Wait before node fencing (ms), from `fenceDelayMs`: 0 when this node is Primary, which is the
   * usual case (DRBD calls fence-peer on the Primary).
   */
  readonly nodeFenceDelayMs: number;
  readonly clock: Clock;
  /** Records the fence for the engine (proof that the peer cannot be Primary), when the daemon wants it. */
  onFenced?(outcome: FenceOutcome): void;
}

export async function serveFencePeer(resource: string, deps: ServeFencePeerDeps): Promise<FencePeerAnswer> {
  const { answer, detail } = await deps.outdatePeer(resource);
  const step = fencePeerStep(answer, deps.policy);
  const said = detail ? ` (${detail})` : '';
  if (step.kind === 'exit') return { exitCode: step.code, message: `${resource}: ${step.why}${said}` };
  if (deps.nodeFenceDelayMs > 0) await clockSleep(deps.clock, deps.nodeFenceDelayMs);
  const fenced = await deps.fenceNode(`fence-peer ${resource}: ${step.why}`);
  if (fenced.status === 'fenced') deps.onFenced?.(fenced);
  return {
    exitCode: afterNodeFence(fenced.status === 'fenced'),
    message: `${resource}: ${step.why}${said}; node fencing ${fenced.status}: ${summarizeHandlers(fenced.handlers)}`,
  };
}
