/**
 * The ports the executor acts through. The daemon supplies real ones (the DRBD command layer, the
 * runCommand-based system port, membership's peer requests, notify hooks, the fencing chain); tests
 * supply recording fakes. Every operation reports a value and never throws.
 */
import type { ConnectionState, DiskState, Role } from '../drbd/types.js';
import type { NotifyEventName } from '../common/notify-events.js';
import type { Result } from '../common/result.js';
import type { OpOptions, StepOutcome } from './outcome.js';

/** A fresh view of one resource, queried right before an action (never a cached one). */
export interface DrbdResourceStatus {
  readonly role: Role;
  readonly peerRole: Role;
  /** Local disk state of every volume (one entry per volume). */
  readonly disks: readonly DiskState[];
  /** Peer disk state of every volume. */
  readonly peerDisks: readonly DiskState[];
  readonly cstate: ConnectionState;
}

/** Why a query failed. */
export interface QueryFailure {
  readonly errorKind: string;
  readonly detail: string;
  readonly timedOut: boolean;
}

/**
 * What the executor needs from DRBD. SAFETY (rule 4, "Forced data decisions"): there is deliberately
 * no way to pass `--force` or `--discard-my-data` through this port.
 */
export interface DrbdPort {
  primary(resource: string, options: OpOptions): Promise<StepOutcome>;
  secondary(resource: string, options: OpOptions): Promise<StepOutcome>;
  outdate(resource: string, options: OpOptions): Promise<StepOutcome>;
  connect(resource: string, options: OpOptions): Promise<StepOutcome>;
  status(resource: string, options: OpOptions): Promise<Result<DrbdResourceStatus, QueryFailure>>;
}

/** One process holding a mount point open, as `fuser -vm` lists it. */
export interface Holder {
  readonly pid: number;
  readonly user: string;
  readonly access: string;
  readonly command: string;
}

/** Where a device and a mount point stand in the mount table. */
export type MountState =
  | { readonly kind: 'not-mounted' }
  | { readonly kind: 'mounted-here' }
  /** The device is mounted elsewhere, or something else is mounted on the mount point. */
  | { readonly kind: 'conflict'; readonly detail: string };

/** What sending a signal did. */
export type SignalResult = 'sent' | 'no-such-process' | 'error';

/** Host operations: mounts, services, addresses, processes, handler commands. */
export interface SystemPort {
  mountState(device: string, mountPoint: string): Promise<Result<MountState, QueryFailure>>;
  fsck(device: string, fstype: string, options: OpOptions): Promise<StepOutcome>;
  mount(
    device: string,
    mountPoint: string,
    fstype: string,
    mountOptions: readonly string[],
    options: OpOptions,
  ): Promise<StepOutcome>;
  /** Plain umount; a busy mount point fails with errorKind `busy`. */
  umount(mountPoint: string, options: OpOptions): Promise<StepOutcome>;
  /** Processes holding the mount point open (empty when none). */
  findHolders(mountPoint: string, options: OpOptions): Promise<Result<readonly Holder[], QueryFailure>>;
  signal(pid: number, signal: 'SIGTERM' | 'SIGKILL'): SignalResult;
  isAlive(pid: number): boolean;
  /**
   * The command name (`/proc/PID/comm`) of a running process, null when it is gone or unknown.
   * Optional: when present, a PID whose command changed since fuser listed it (the holder exited
   * and the PID was reused) is not signalled.
   */
  processCommand?(pid: number): string | null;
  serviceActive(unit: string, options: OpOptions): Promise<Result<boolean, QueryFailure>>;
  startService(unit: string, options: OpOptions): Promise<StepOutcome>;
  stopService(unit: string, options: OpOptions): Promise<StepOutcome>;
  addressPresent(address: FloatingAddress, options: OpOptions): Promise<Result<boolean, QueryFailure>>;
  addAddress(address: FloatingAddress, options: OpOptions): Promise<StepOutcome>;
  removeAddress(address: FloatingAddress, options: OpOptions): Promise<StepOutcome>;
  /** Gratuitous ARP for an address just added; `ok` with a note when no arping is available. */
  announceAddress(address: FloatingAddress, options: OpOptions): Promise<StepOutcome>;
  /** Runs an operator-configured handler command (argv, no shell) with extra environment. */
  runHandler(
    argv: readonly string[],
    env: Readonly<Record<string, string>>,
    options: OpOptions,
  ): Promise<StepOutcome>;
}

/** A floating service address, e.g. `192.168.110.20/24@eth0`. */
export interface FloatingAddress {
  readonly address: string;
  readonly prefix: number;
  readonly device: string;
}

/** What a request to the peer over the heartbeat links produced. */
export type PeerRequestOutcome =
  | {
      readonly status: 'ok';
      readonly detail: string;
      /** The peer's reason code when it gave one (e.g. `outdated`, `already-outdated`, `inconsistent`). */
      readonly code?: string;
    }
  /** The peer answered but could not do it (its reason in `detail`, a stable kind in `errorKind`). */
  | { readonly status: 'failed'; readonly errorKind: string; readonly detail: string }
  /** No answer on any link before the deadline. */
  | { readonly status: 'unreachable'; readonly detail: string };

/** Peer requests over the heartbeat links (membership supplies it). Deadlines are monotonic ms on the executor's clock. */
export interface PeerRequester {
  /** "Mark your disk of `resource` Outdated" (resource-level fencing, the job dopd did). */
  outdatePeer(resource: string, deadlineMs: number, signal?: AbortSignal): Promise<PeerRequestOutcome>;
  /** "Run your release sequence for `resource`" (planned switchover). */
  requestRelease(resource: string, deadlineMs: number, signal?: AbortSignal): Promise<PeerRequestOutcome>;
  /** "Take `resource` over" (handover after this node released it); the peer's engine decides with its own pre-checks. */
  requestTakeover(resource: string, deadlineMs: number, signal?: AbortSignal): Promise<PeerRequestOutcome>;
}

/** Operator notifications (notify hooks supply it; delivery is theirs and must not block). */
export interface Notifier {
  notify(event: NotifyEventName, resource: string | null, message: string): Promise<StepOutcome>;
}

/** Result of one fence handler, for logs and pages. */
export interface FenceHandlerReport {
  readonly name: string;
  readonly status: 'ok' | 'failed' | 'timeout' | 'spawn-error' | 'aborted' | 'not-run';
  readonly exitCode: number | null;
  readonly durationMs: number;
  readonly output: string;
}

/** Outcome of node-level fencing of the peer. */
export interface FenceOutcome {
  readonly status: 'fenced' | 'failed' | 'timeout';
  readonly handlers: readonly FenceHandlerReport[];
  readonly detail: string;
}

/** Node-level fencing (src/fencing supplies it: the handler chain). */
export interface FencePort {
  fencePeer(reason: string, signal?: AbortSignal): Promise<FenceOutcome>;
}
