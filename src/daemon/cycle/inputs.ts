/**
 * What the next observation is assembled from, besides the engine's own memory: the DRBD view, DRBD's
 * fencing setting, the operator's intents, switchovers waiting, the peer's requests, a reminder due and
 * the startup facts. Set from outside (events, control requests), read once per decision.
 */
import type { DrbdView } from '../../drbd/index.js';
import { EMPTY_DRBD_VIEW } from '../../drbd/index.js';
import type {
  ActionResultObservation,
  DrbdFencingMode,
  Observation,
  StartupObservation,
} from '../../engine/index.js';
import type { PeerView } from '../../membership/index.js';
import type { PersistedIntents } from '../intent-store.js';
import { buildObservation, type LocalResourceFacts } from '../observe.js';
import type { PeerAnswers } from './peer-answers.js';
import type { CycleSettings } from './ports.js';
import { Switchovers } from './switchovers.js';

export interface ObservedFacts {
  readonly nowMs: number;
  readonly local: ReadonlyMap<string, LocalResourceFacts>;
  readonly peer: PeerView;
  readonly results: readonly ActionResultObservation[];
  readonly inFlight: readonly (string | null)[];
  readonly stalled: boolean;
}

export class CycleInputs {
  drbdView: DrbdView = EMPTY_DRBD_VIEW;
  drbdFencing: ReadonlyMap<string, DrbdFencingMode> = new Map();
  intents: PersistedIntents;
  readonly switchovers = new Switchovers();
  /** The reminders job fired: the next decision re-sends what is still open (handed over once). */
  remindersDue = false;

  constructor(
    readonly startup: StartupObservation,
    intents: PersistedIntents,
    readonly peerAnswers: PeerAnswers,
  ) {
    this.intents = intents;
  }

  /** The observation for a decision; it carries each new peer request once. */
  observe(s: CycleSettings, f: ObservedFacts): Observation {
    const remindersDue = this.remindersDue;
    this.remindersDue = false;
    return buildObservation({
      remindersDue,
      nowMs: f.nowMs,
      self: s.self,
      peerName: s.peer,
      linkNames: s.linkNames,
      resources: [...s.resources.values()],
      drbd: this.drbdView,
      local: f.local,
      peer: f.peer,
      intents: {
        switchovers: this.switchovers.intents(),
        standby: this.intents.standby,
        maintenance: this.intents.maintenance,
      },
      peerRequests: this.peerAnswers.take(),
      results: f.results,
      inFlight: f.inFlight,
      stalled: f.stalled,
      startup: this.startup,
      drbdFencing: this.drbdFencing,
    });
  }
}
