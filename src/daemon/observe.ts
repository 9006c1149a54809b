import type { DrbdView } from '../drbd/index.js';
import type {
  ActionResultObservation,
  DrbdFencingMode,
  IntentObservation,
  Observation,
  PeerRequest,
  ResourceObservation,
  StartupObservation,
} from '../engine/index.js';
import type { PeerView } from '../membership/index.js';
import { deviceOfResource } from './resource-devices.js';

/** Facts about a resource that come from the host rather than from DRBD. */
export interface LocalResourceFacts {
  readonly mounted: boolean;
  readonly servicesUp: boolean;
  readonly currentUuid: string | null;
}

export interface ObservationInputs {
  readonly nowMs: number;
  readonly self: string;
  readonly peerName: string;
  readonly linkNames: readonly string[];
  readonly resources: readonly { readonly name: string; readonly device: string }[];
  readonly drbd: DrbdView;
  readonly local: ReadonlyMap<string, LocalResourceFacts>;
  readonly peer: PeerView;
  readonly intents: IntentObservation;
  readonly peerRequests: readonly PeerRequest[];
  readonly results: readonly ActionResultObservation[];
  readonly inFlight: readonly (string | null)[];
  readonly stalled: boolean;
  readonly startup: StartupObservation;
  /** DRBD's `fencing` per resource as read from `drbdadm dump-xml`; a resource not in it is unknown. */
  readonly drbdFencing: ReadonlyMap<string, DrbdFencingMode>;
  /** The reminders job fired since the previous decision. */
  readonly remindersDue?: boolean;
}

const NO_FACTS: LocalResourceFacts = { mounted: false, servicesUp: false, currentUuid: null };

/** Assembles the engine's immutable observation from the daemon's views. Pure. */
export function buildObservation(input: ObservationInputs): Observation {
  const resources: ResourceObservation[] = input.resources.map((r) => {
    const device = deviceOfResource(input.drbd, r);
    const facts = input.local.get(r.name) ?? NO_FACTS;
    return {
      name: r.name,
      drbd: device,
      mounted: facts.mounted,
      servicesUp: facts.servicesUp,
      splitBrain: device !== null && device.splitBrain !== null,
      currentUuid: facts.currentUuid,
      drbdFencing: input.drbdFencing.get(r.name) ?? 'unknown',
    };
  });
  return {
    nowMs: input.nowMs,
    self: input.self,
    drbdAvailable: input.drbd.availability === 'ok',
    drbdObserved: input.drbd.availability !== 'unknown',
    resources,
    peer: {
      name: input.peerName,
      reachable: input.peer.reachable,
      everHeard: input.peer.everHeard,
      links: input.peer.links.map((l) => ({
        name: input.linkNames[l.index] ?? `link${l.index}`,
        up: l.state !== 'down',
      })),
      report: input.peer.report,
      lastHeardMs: input.peer.reportAtMs,
    },
    intents: input.intents,
    peerRequests: input.peerRequests,
    results: input.results,
    inFlight: input.inFlight,
    stalled: input.stalled,
    startup: input.startup,
    ...(input.remindersDue === true ? { remindersDue: true } : {}),
  };
}
