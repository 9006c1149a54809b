/** Fencing: the handler chain, the fence delay policy, resource-level fencing, and DRBD's fence-peer entry points. */
export type { FenceTarget } from './handler-env.js';
export { fenceHandlerEnv } from './handler-env.js';
export type { FenceChainOptions, FenceHandlerConfig } from './handler-chain.js';
export { createFencePort, runFenceChain, summarizeHandlers } from './handler-chain.js';
// The fence delay and fence-peer exit rules are decisions: they live in the engine (pure, journaled).
export type { FenceDelayInput } from '../engine/fence-delay.js';
export { fenceDelayMs } from '../engine/fence-delay.js';
export type {
  FencePeerAnswer,
  FencePeerExitCode,
  FencePeerStep,
  OutdateAnswer,
} from '../engine/fence-peer-exit.js';
export {
  afterNodeFence,
  FENCE_PEER_EXIT,
  fencePeerStep,
  OUTDATE_ANSWERS,
} from '../engine/fence-peer-exit.js';
export type { FencingPolicy } from '../engine/policy.js';
export { FENCING_POLICIES } from '../engine/policy.js';
export type { AnswerOutdateOptions, OutdateAnswerResult, OutdateReply } from './outdate-request.js';
export {
  answerOutdateRequest,
  OUTDATE_REPLY_CODES,
  outdateAnswerOf,
  outdateAnswerOfPeerOutcome,
  PEER_SLOW,
} from './outdate-request.js';
export type { FenceControlCall } from './fence-peer-client.js';
export { fencePeerViaDaemon, unfencePeerViaDaemon } from './fence-peer-client.js';
export type { DrbdHandlerEnv } from './drbd-handler-env.js';
export { parseDrbdHandlerEnv } from './drbd-handler-env.js';
export type { FenceOnce, FenceOnceOptions } from './fence-once.js';
export { fenceOnce } from './fence-once.js';
