/**
 * Notifications that belong to no resource rule: the operator's maintenance switch, and the reminders of
 * the problems still open (the `schedule.reminders` job asks for them through the observation). Both are
 * planned here, as `notify` actions of the decision, so they are journaled and replayed like any other.
 * Pure.
 */
import type { ResourceDecision } from './decision.js';
import type { EngineMemory } from './memory.js';
import type { Observation } from './observation.js';
import type { Action } from './plan.js';
import { REASONS } from './reasons.js';

/**
 * A change of this node's maintenance intent since the previous decision. The first decision after a
 * start only records it (`memory.maintenance` absent): a restart is no switch.
 */
export function maintenanceNotice(obs: Observation, memory: EngineMemory): Action[] {
  const on = obs.intents.maintenance;
  if (memory.maintenance === undefined || memory.maintenance === on) return [];
  return [
    {
      kind: 'notify',
      event: 'maintenance',
      resource: null,
      message: `maintenance ${on ? 'on' : 'off'} (set on ${obs.self})`,
    },
  ];
}

/** When a reminder is due: the page or warning of every resource whose decision still holds one. */
export function reminderNotices(obs: Observation, decisions: readonly ResourceDecision[]): Action[] {
  if (obs.remindersDue !== true) return [];
  return decisions.flatMap((d): Action[] => {
    const info = REASONS[d.reason];
    if (info.severity !== 'page' && info.severity !== 'warning') return [];
    return [
      {
        kind: 'notify',
        event: info.event ?? 'degraded',
        resource: d.resource,
        message: `still open: ${d.resource}: ${info.node}`,
      },
    ];
  });
}
