/** The engine's public surface: a pure decision function and its types (ARCHITECTURE.md). */
export { decide } from './decide.js';
export { answer, ANSWER_REASONS } from './answers.js';
export type {
  Answer,
  AnswerReason,
  FencePeerQuestion,
  OutdateQuestion,
  PrepareHandoverQuestion,
  Question,
} from './answers.js';
export { explain, explainResource } from './explain.js';
export { elect } from './rules/index.js';
export { REASONS, REASON_CODES, isReasonCode, severityRank } from './reasons.js';
export type { ReasonCode, ReasonInfo, Severity } from './reasons.js';
export { initialMemory, resourceMemory, INITIAL_RESOURCE_MEMORY, INITIAL_FENCE } from './memory.js';
export type { EngineMemory, ResourceMemory, FenceMemory } from './memory.js';
export { DEFAULT_POLICY, FENCING_POLICIES } from './policy.js';
export { PEER_REQUEST_WAIT_MS } from './peer-requests.js';
export type { EnginePolicy, FencingPolicy, BackoffPolicy } from './policy.js';
export { resultObservation } from './observation.js';
export type {
  Observation,
  ResourceObservation,
  PeerObservation,
  LinkObservation,
  IntentObservation,
  PeerRequest,
  ActionResultObservation,
  StartupObservation,
  DrbdFencingMode,
} from './observation.js';
export type { Decision, ResourceDecision, DecideOutput, Facts } from './decision.js';
export { RELEASE_SEQUENCE, TAKEOVER_SEQUENCE, DRBD_ACTION_KINDS } from './plan.js';
export type { Action, ActionKind } from './plan.js';
