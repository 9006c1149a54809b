/**
 * What the cycle needs from the world, as ports: the node composes them from real adapters
 * (daemon.ts), the cluster simulation from simulated ones (test/cluster-sim). The cycle itself does no
 * I/O: every effect and every clock reading comes in through these.
 */
import type { ArbiterPort } from '../../arbiter/port.js';
import type { Clock, WallClock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { Result } from '../../common/result.js';
import type { DrbdCommands } from '../../drbd/index.js';
import type { Decision, EngineMemory, EnginePolicy, Observation } from '../../engine/index.js';
import type {
  ActionResult,
  DrbdPort,
  FencePort,
  ResourceExecConfig,
  SystemPort,
} from '../../executor/index.js';
import type { NotifyEvent } from '../../notify/index.js';
import type { SdNotifyMessage } from '../../systemd/index.js';
import type { PersistedIntents } from '../intent-store.js';
import type { LastPrimaries } from '../last-primary-store.js';
import type { PeerLink } from '../peer-requester.js';

/** What the cycle persists in the state dir (each save is atomic; a failure is logged, never fatal). */
export interface CycleStores {
  saveLastPrimaries(value: LastPrimaries): Result<void, string>;
  saveDegraded(degraded: boolean): Result<void, string>;
  saveIntents(value: PersistedIntents): Result<void, string>;
}

/** Where each decision's journal entry goes (null: no journal, the daemon runs on without it). */
export interface JournalPort {
  append(entry: unknown): unknown;
}

/** Watches the cycle (metrics on a node, the trace in the simulation); never changes what it does. */
export interface CycleObserver {
  /** After every decision; `changed` when it differs from the previous one (journaled and logged). */
  decided(obs: Observation, decision: Decision, changed: boolean): void;
  /** After every finished action. */
  actionDone(result: ActionResult): void;
}

export interface CyclePorts {
  readonly clock: Clock;
  readonly wall: WallClock;
  /** The root logger; the cycle makes one child per module. */
  readonly logger: Logger;
  /** Aborted when the process stops: actions in progress stop at their next check. */
  readonly signal: AbortSignal;
  readonly drbd: DrbdPort;
  readonly drbdCommands: DrbdCommands;
  readonly system: SystemPort;
  /** Membership: the peer's view, its events and authenticated requests to it. */
  readonly membership: PeerLink;
  /** The configured fence handler chain (read per call: a reload takes effect for the next fence). */
  readonly fenceChain: () => FencePort;
  readonly notify: (event: NotifyEvent) => void;
  readonly journal: JournalPort | null;
  readonly stores: CycleStores;
  readonly sdNotify: (message: SdNotifyMessage) => Promise<unknown>;
  readonly observer: CycleObserver;
  /** The etcd arbiter (docs/arbiter.md); absent when none is configured. */
  readonly arbiter?: ArbiterPort;
}

/** The configuration as the cycle reads it (daemon/cycle-settings.ts maps the config file onto it). */
export interface CycleSettings {
  readonly self: string;
  readonly peer: string;
  /** Heartbeat link names, by link index (for the observation). */
  readonly linkNames: readonly string[];
  readonly policy: EnginePolicy;
  /** The managed resources, in configuration order. */
  readonly resources: ReadonlyMap<string, ResourceExecConfig>;
  /** Budget of a whole fence-peer action (every handler in turn). */
  readonly fenceTimeoutMs: number;
  /** How long an outdate request may wait for a peer that stays reachable. */
  readonly outdateCapMs: number;
}

/** What the cycle starts from, as read from the state dir. */
export interface CycleStart {
  readonly memory: EngineMemory;
  readonly intents: PersistedIntents;
  /** The cluster was degraded when this node last ran (the startup wait is then degraded-initdead). */
  readonly degradedAtStart: boolean;
  /** What the stores hold now (null when unknown), so an unchanged value is not written again. */
  readonly savedLastPrimaries: LastPrimaries | null;
  readonly savedDegraded: boolean | null;
}
