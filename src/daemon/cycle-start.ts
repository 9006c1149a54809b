import type { Logger } from '../common/log.js';
import { initialMemory } from '../engine/index.js';
import type { CycleStart } from './cycle/index.js';
import { loadDegraded } from './degraded-store.js';
import { loadIntents } from './intent-store.js';
import { loadLastPrimaries, memoryWithLastPrimaries } from './last-primary-store.js';

/** The cycle's starting state from the state dir; an unreadable file falls back to the safe side (logged). */
export function loadCycleStart(stateDir: string, log: Logger): CycleStart {
  let memory = initialMemory();
  let savedLastPrimaries = {};
  const lastPrimaries = loadLastPrimaries(stateDir);
  if (lastPrimaries.ok) {
    memory = memoryWithLastPrimaries(lastPrimaries.value);
    savedLastPrimaries = lastPrimaries.value;
  } else
    // The engine then treats every resource as never seen Primary: the startup wait and fencing rules still hold.
    log.error({ code: 'E_CONFIG', reason: lastPrimaries.error }, 'last-primary file unreadable');
  const degraded = loadDegraded(stateDir);
  if (!degraded.ok)
    log.error(
      { code: 'E_CONFIG', reason: degraded.error },
      'degraded-state file unreadable, assuming degraded',
    );
  const intents = loadIntents(stateDir);
  if (!intents.ok)
    // SAFETY: an unreadable intents file may hide "maintenance on": observe only until an operator decides.
    log.error({ code: 'E_CONFIG', reason: intents.error }, 'intents unreadable, entering maintenance');
  return {
    memory,
    intents: intents.ok ? intents.value : { standby: false, maintenance: true },
    degradedAtStart: degraded.ok ? degraded.value : true,
    savedLastPrimaries,
    savedDegraded: degraded.ok ? degraded.value : null,
  };
}
