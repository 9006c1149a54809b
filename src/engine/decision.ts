/** The engine's output: a plan plus why (ARCHITECTURE.md: every decision is named). */
import type { EngineMemory } from './memory.js';
import type { Action } from './plan.js';
import type { ReasonCode } from './reasons.js';

/** Facts that explain a decision: plain values only, so they log and journal as-is. */
export type Facts = Readonly<Record<string, string | number | boolean | null>>;

/** The decision for one resource (its part of the combined plan, in order). */
export interface ResourceDecision {
  readonly resource: string;
  readonly reason: ReasonCode;
  readonly facts: Facts;
  readonly plan: readonly Action[];
}

export interface Decision {
  /** The combined plan: node-level notifications, node-level fencing, then resources (releases before takeovers). */
  readonly plan: readonly Action[];
  /** The most severe resource reason (first resource on ties); NO_RESOURCES when none. */
  readonly reason: ReasonCode;
  readonly facts: Facts;
  readonly resources: readonly ResourceDecision[];
}

export interface DecideOutput {
  readonly decision: Decision;
  readonly memory: EngineMemory;
  /**
   * Monotonic ms at which a waiting rule's time runs out (fence delay, initdead, ...): decide again then,
   * even if nothing changes. Null when no rule waits on time.
   */
  readonly nextDecisionAtMs: number | null;
}
