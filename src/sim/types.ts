/**
 * Types of the DRBD 8.4 behaviour model: configuration, persistent metadata, peer protocol messages,
 * writes and command results.
 */
import type { DiskState, Role } from '../drbd/types.js';
import type { AfterSbPolicies, GenerationIds } from './uuid-rules.js';

export type FencingPolicy = 'dont-care' | 'resource-only' | 'resource-and-stonith';

/** What the simulated `drbdadm`/`drbdsetup` printed and returned, like a real process. */
export interface SimCommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/**
 * The fence-peer handler as DRBD runs it: gets DRBD's environment (DRBD_RESOURCE, DRBD_MINOR,
 * DRBD_PEER_ADDRESS, DRBD_PEER_AF, DRBD_PEERS, DRBD_PEER, DRBD_CONF) and resolves to its exit code.
 */
export type FencePeerHandler = (env: Readonly<Record<string, string>>) => Promise<number>;

/** Static configuration of one simulated node (one resource, one volume). Times in ms, sizes in KiB. */
export interface SimNodeConfig {
  readonly name: string;
  readonly peerName: string;
  readonly resource: string;
  readonly minor: number;
  /** `ADDR:PORT` of this node and of the peer (shown in drbdadm messages and DRBD_PEER_ADDRESS). */
  readonly address: string;
  readonly peerAddress: string;
  readonly fencing: FencingPolicy;
  readonly allowTwoPrimaries: boolean;
  readonly afterSb: AfterSbPolicies;
  readonly pingIntMs: number;
  readonly pingTimeoutMs: number;
  /** DRBD's `timeout`: a replicated write not acknowledged within it drops the connection. */
  readonly timeoutMs: number;
  readonly connectIntMs: number;
  readonly sizeKiB: number;
  readonly resyncRateKiBps: number;
  /** Online verify speed (KiB/s). */
  readonly verifyRateKiBps: number;
  readonly onIoError: 'detach' | 'pass_on';
  /** `verify-alg`; null (the lab's configuration) makes `verify` fail with -14. */
  readonly verifyAlg: string | null;
  /**
   * `al-extents` (accepted for configuration parity): the hot set only; a crash marks every extent
   * of the on-disk AL ring, which the model bounds at 4096 extent updates.
   */
  readonly alExtents: number;
  /** The backing device shown in drbdmeta messages. */
  readonly backingDevice: string;
  /** Used when DRBD would run the fence-peer handler; absent = no handler configured (exit 0). */
  readonly fencePeer?: FencePeerHandler;
}

/**
 * Defaults: the lab's tuned timings (ping-int 2 s, ping-timeout 0.5 s, timeout 1 s, connect-int 2 s)
 * and verify-alg crc32c (the lab's drbd.conf).
 */
export const DEFAULT_NODE_CONFIG = {
  resource: 'r0',
  minor: 1,
  fencing: 'dont-care',
  allowTwoPrimaries: false,
  pingIntMs: 2000,
  pingTimeoutMs: 500,
  timeoutMs: 1000,
  connectIntMs: 2000,
  sizeKiB: 262100,
  resyncRateKiBps: 20480,
  verifyRateKiBps: 102400,
  onIoError: 'detach',
  verifyAlg: 'crc32c',
  alExtents: 1237,
  backingDevice: '/dev/mapper/lower',
} as const;

/** DRBD's on-disk metadata plus the disk contents (as write ids): what survives a crash. */
export interface SimMetadata {
  uuids: GenerationIds;
  /** MDF_CONSISTENT: the data is not mid-resync. */
  consistent: boolean;
  /** MDF_OUTDATED. */
  outdated: boolean;
  /** MDF_PEER_OUT_DATED: we know the peer's disk is outdated. */
  peerOutdated: boolean;
  /** MDF_CRASHED_PRIMARY (primary indicator): set while Primary, cleared by a clean demote. */
  crashedPrimary: boolean;
  /** A full resync is needed when this disk attaches again (after a detach or disk failure). */
  fullSyncNeeded: boolean;
  /** Out-of-sync 4 KiB blocks relative to the peer (DRBD's bitmap). */
  bitmap: number[];
  /** Ids of the writes this disk holds, in the order they reached it. */
  writes: string[];
  /** The backing device returns I/O errors (fail-disk). */
  diskBroken: boolean;
  /** Activity log: 4 MiB extents written recently (applied to the bitmap after a Primary's crash). */
  al: number[];
}

/** One application write on the Primary: a 4 KiB block. */
export interface SimWrite {
  readonly id: string;
  readonly node: string;
  readonly block: number;
  readonly atMs: number;
}

/** Peer protocol between two simulated nodes (over the in-process link or TCP JSON lines). */
export type PeerMessage =
  | {
      readonly t: 'params';
      readonly name: string;
      readonly uuids: GenerationIds;
      readonly disk: DiskState;
      readonly role: Role;
      readonly crashedPrimary: boolean;
      readonly discardMyData: boolean;
      readonly changedBlocks: number;
      readonly bitmap: readonly number[];
    }
  | { readonly t: 'state'; readonly role: Role; readonly disk: DiskState }
  | { readonly t: 'ping' }
  | { readonly t: 'pong' }
  | { readonly t: 'write'; readonly write: SimWrite }
  | { readonly t: 'write-ack'; readonly id: string }
  | {
      readonly t: 'sync-begin';
      readonly full: boolean;
      readonly totalBlocks: number;
      readonly verify: boolean;
    }
  | {
      readonly t: 'sync-done';
      readonly writes: readonly string[];
      readonly uuids: GenerationIds;
      readonly verify: boolean;
    }
  | { readonly t: 'promote-req'; readonly id: number }
  | { readonly t: 'promote-reply'; readonly id: number; readonly ok: boolean; readonly reason: number }
  | { readonly t: 'disconnect-req'; readonly outdateYou: boolean; readonly iOutdated: boolean }
  | { readonly t: 'disconnect-ack' };

/**
 * The wire between two nodes. Sessions are local numbers; `send` on a dead session is dropped
 * silently (as a TCP segment into a cut link would be, until detection).
 */
export interface PeerTransport {
  send(session: number, msg: PeerMessage): void;
  /** Whether this node accepts / initiates connections (DRBD's WFConnection). */
  setListening(listening: boolean): void;
  /** Ends a session from this side. */
  close(session: number): void;
}
