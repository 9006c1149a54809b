/** The DRBD 8.4 behaviour model: public API (docs/simulator.md). */
export { SimCluster, flush, type SimClusterOptions } from './cluster.js';
export {
  SimNode,
  freshMetadata,
  ppsize,
  splitAddress,
  type NodeHistoryEvent,
  type SimNodeDeps,
} from './node.js';
export { InProcessLink } from './link.js';
export { runDrbdadm, runDrbdsetup, parseEvents2Args, DRBDADM_SHORT_WAIT_MS } from './commands.js';
export { procDrbdText, events2NowLines, events2LogLines } from './views.js';
export { renderProcDrbd, PROC_DRBD_HEADER, type ProcDrbdDevice } from './proc-drbd.js';
export {
  renderEvents2Line,
  formatEvents2Timestamp,
  type Events2Record,
  type Events2Options,
} from './events2-format.js';
export {
  WriteChecker,
  type WriteCheckResult,
  type LostWrite,
  type ConcurrentPrimaryWrites,
} from './write-checker.js';
export {
  compareUuids,
  decideHandshake,
  DEFAULT_AFTER_SB,
  UUID_JUST_CREATED,
  UUID_ZERO,
  type AfterSbPolicies,
  type GenerationIds,
  type HandshakeOutcome,
  type HandshakeSide,
} from './uuid-rules.js';
export { SeededRng, hash32 } from './rng.js';
export { SS, type StateError, type SetupOutcome } from './state-errors.js';
export {
  DEFAULT_NODE_CONFIG,
  type FencePeerHandler,
  type FencingPolicy,
  type PeerMessage,
  type PeerTransport,
  type SimCommandResult,
  type SimMetadata,
  type SimNodeConfig,
  type SimWrite,
} from './types.js';
