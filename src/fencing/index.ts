/** Fencing: the handler chain, the fence delay policy, resource-level fencing, and DRBD's fence-peer entry points. */
export type { FenceTarget } from './handler-env.js';
export { fenceHandlerEnv } from './handler-env.js';
export type { FenceChainOptions, FenceHandlerConfig } from './handler-chain.js';
export { createFencePort, runFenceChain, summarizeHandlers } from './handler-chain.js';
export type { FenceDelayInput } from './fence-delay.js';
export { fenceDelayMs } from './fence-delay.js';
export type { FencePeerExitCode, FencePeerStep, FencingPolicy, OutdateAnswer } from './fence-peer-exit.js';
export {
  afterNodeFence,
  FENCE_PEER_EXIT,
  FENCING_POLICIES,
  fencePeerStep,
  OUTDATE_ANSWERS,
} from './fence-peer-exit.js';
export type { AnswerOutdateOptions, OutdateAnswerResult, OutdateReply } from './outdate-request.js';
export {
  answerOutdateRequest,
  OUTDATE_REPLY_CODES,
  outdateAnswerOf,
  outdateAnswerOfPeerOutcome,
  PEER_SLOW,
} from './outdate-request.js';
export type { FencePeerAnswer, ServeFencePeerDeps } from './serve-fence-peer.js';
export { serveFencePeer } from './serve-fence-peer.js';
export type { FenceControlCall } from './fence-peer-client.js';
export { fencePeerViaDaemon, unfencePeerViaDaemon } from './fence-peer-client.js';
export type { DrbdHandlerEnv } from './drbd-handler-env.js';
export { parseDrbdHandlerEnv } from './drbd-handler-env.js';
export type { FenceOnce, FenceOnceOptions } from './fence-once.js';
export { fenceOnce } from './fence-once.js';
