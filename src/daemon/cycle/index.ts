/** The daemon's cycle and its ports (see cycle.ts). */
export { Cycle, TICK_MS, type LastDecision } from './cycle.js';
export { VIEW_CATCH_UP_MS } from './executions.js';
export type { SwitchoverAnswer } from './switchovers.js';
export type {
  CycleObserver,
  CyclePorts,
  CycleSettings,
  CycleStart,
  CycleStores,
  JournalPort,
} from './ports.js';
