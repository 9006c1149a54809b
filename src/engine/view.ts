/**
 * Derived, per-resource facts the rules read (pure helpers over the observation). Keeping them in one
 * place makes the two kinds of evidence (SAFETY.md, "Two kinds of evidence") explicit and testable.
 */
import { LINKED_CONNECTION_STATES } from '../drbd/types.js';
import type { DrbdDeviceState } from '../drbd/types.js';
import type { NodeReport, ResourceReport } from '../membership/node-report.js';
import type { EngineMemory, ResourceMemory } from './memory.js';
import type { Observation, ResourceObservation } from './observation.js';
import type { EnginePolicy } from './policy.js';

/** The peer is silent on every heartbeat link (first kind of evidence). Pure. */
export function peerSilent(obs: Observation): boolean {
  return !obs.peer.reachable && !obs.peer.links.some((l) => l.up);
}

/** The peer's report, only while it is fresh (reachable); a silent peer's last words are not evidence. */
export function freshReport(obs: Observation): NodeReport | null {
  return obs.peer.reachable ? obs.peer.report : null;
}

/** DRBD's replication link is established (data flows). Pure. */
export function replicationLinked(d: DrbdDeviceState): boolean {
  return LINKED_CONNECTION_STATES.has(d.cstate);
}

/**
 * DRBD has lost the peer (second kind of evidence): not linked and not reporting the peer Primary.
 * SAFETY: "Two kinds of evidence" - while DRBD reports the peer Connected or Primary, no takeover.
 */
export function drbdLostPeer(d: DrbdDeviceState): boolean {
  return !replicationLinked(d) && d.peerRole !== 'Primary';
}

/** Disk states in which a local disk has failed (DRBD detached it). */
export function diskFailed(d: DrbdDeviceState): boolean {
  return d.disk === 'Diskless' || d.disk === 'Failed' || d.disk === 'Detaching';
}

/** Everything a resource rule needs, computed once. */
export interface ResourceContext {
  readonly obs: Observation;
  readonly policy: EnginePolicy;
  readonly memory: EngineMemory;
  readonly rm: ResourceMemory;
  readonly res: ResourceObservation;
  readonly d: DrbdDeviceState;
  readonly peerName: string;
  /** Fresh report of the peer (null when unreachable or not yet reported). */
  readonly report: NodeReport | null;
  /** The peer's fresh report of this resource. */
  readonly peerRes: ResourceReport | null;
  readonly silent: boolean;
  readonly linked: boolean;
  readonly localPrimary: boolean;
  /** DRBD or the fresh report says the peer is Primary. */
  readonly peerPrimary: boolean;
  readonly nodeFenceInFlight: boolean;
}

export function resourceContext(
  obs: Observation,
  policy: EnginePolicy,
  memory: EngineMemory,
  rm: ResourceMemory,
  res: ResourceObservation,
  d: DrbdDeviceState,
): ResourceContext {
  const report = freshReport(obs);
  const peerRes = report?.resources.find((x) => x.name === res.name) ?? null;
  return {
    obs,
    policy,
    memory,
    rm,
    res,
    d,
    peerName: obs.peer.name,
    report,
    peerRes,
    silent: peerSilent(obs),
    linked: replicationLinked(d),
    localPrimary: d.role === 'Primary',
    peerPrimary: d.peerRole === 'Primary' || peerRes?.role === 'Primary',
    nodeFenceInFlight: obs.inFlight.includes(null),
  };
}

/** A compact fingerprint of the state an escalation was made in: a change lifts the escalation. */
export function stateFingerprint(obs: Observation, d: DrbdDeviceState): string {
  return [d.role, d.disk, d.cstate, d.peerRole, d.peerDisk, obs.peer.reachable ? 'peer' : 'nopeer'].join('/');
}

/** Backoff delay of attempt n (1-based): min(initial * 2^(n-1), max). Pure. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(initialMs * 2 ** exp, maxMs);
}
