/** `drbd-sentinel init`: the configuration of a pair from DRBD's own (pure planning, rendering) and the secret. */
export { parseFstab, daemonMountOptions, fstabEntryFor, type FstabEntry } from './fstab.js';
export {
  planInit,
  type InitInput,
  type InitNode,
  type InitPlan,
  type InitProblem,
  type InitResource,
} from './plan.js';
export { renderInitConfig } from './render.js';
export { assessSecret, createSecret, type SecretPlan } from './secret.js';
export { nextSteps, SENTINEL_PATH } from './next-steps.js';
