/** The executor: runs a plan's actions through ports, never decides. */
export type { ActionResult, ActionStatus, ExecutorContext } from './context.js';
export { actionTimeoutMs, runAction, runPlan } from './run-plan.js';
export type {
  DrbdPort,
  DrbdResourceStatus,
  FenceHandlerReport,
  FenceOutcome,
  FencePort,
  FloatingAddress,
  Holder,
  MountState,
  Notifier,
  PeerRequestOutcome,
  PeerRequester,
  QueryFailure,
  SignalResult,
  SystemPort,
} from './ports.js';
export type { OpOptions, StepOutcome } from './outcome.js';
export type { OnBusyUmount, ResourceExecConfig, ResourceTimeouts } from './resource-config.js';
export { cidr, DEFAULT_TIMEOUTS, parseFloatingAddress } from './resource-config.js';
export type { CommandRunner } from './drbd-port.js';
export { createCommandDrbdPort, createDrbdPort, drbdStep } from './drbd-port.js';
export type { CommandSystemPortOptions, SystemCommands } from './system-port.js';
export { createCommandSystemPort, DEFAULT_SYSTEM_COMMANDS } from './system-port.js';
export { formatHolders, parseFuserOutput } from './fuser-output.js';
export { mountStateOf, parseMountTable } from './mount-table.js';
