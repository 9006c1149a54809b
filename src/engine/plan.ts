/**
 * The plan the engine returns and the executor runs: an ordered list of actions, each naming the
 * resource it acts on. The executor runs them in order, re-checks each one's precondition right before
 * it runs, and stops at the first failure; it never chooses (ARCHITECTURE.md).
 */
import type { NotifyEventName } from './notify-events.js';

export type Action =
  /** Node-level fencing: run the configured fence handler chain against the peer. */
  | { readonly kind: 'fence-peer'; readonly reason: string }
  /** Resource-level fencing: ask the peer (over the heartbeat links) to mark its disk Outdated. */
  | { readonly kind: 'outdate-peer'; readonly resource: string }
  /** Mark this node's own disk Outdated (answering a peer's request, or before yielding). */
  | { readonly kind: 'outdate-local'; readonly resource: string }
  | { readonly kind: 'promote'; readonly resource: string }
  | { readonly kind: 'fsck'; readonly resource: string }
  | { readonly kind: 'mount'; readonly resource: string }
  | { readonly kind: 'start-services'; readonly resource: string }
  | { readonly kind: 'add-addresses'; readonly resource: string }
  | { readonly kind: 'remove-addresses'; readonly resource: string }
  | { readonly kind: 'stop-services'; readonly resource: string }
  | { readonly kind: 'umount'; readonly resource: string }
  | { readonly kind: 'demote'; readonly resource: string }
  /** Planned switchover: ask the peer to run its release sequence for the resource. */
  | { readonly kind: 'request-peer-release'; readonly resource: string }
  /**
   * Handover: ask the peer (over the heartbeat links) to take the resource over after this node released it
   * (local disk failure on the Primary, standby, or a switchover started on the releasing node). The peer's
   * engine decides with its own pre-checks; this action only delivers the request.
   */
  | { readonly kind: 'request-peer-takeover'; readonly resource: string }
  /** DRBD reconnect after a cut (never with --discard-my-data: that is the operator's). */
  | { readonly kind: 'connect'; readonly resource: string }
  /** Run the configured on-demote-failure handler (e.g. reboot or self-fence) after a demote that cannot complete. */
  | { readonly kind: 'demote-failure-handler'; readonly resource: string }
  | {
      readonly kind: 'notify';
      readonly event: NotifyEventName;
      readonly resource: string | null;
      readonly message: string;
    };

export type ActionKind = Action['kind'];

/** The release sequence, in order (SAFETY.md: the old primary stops writing before the survivor promotes). */
export const RELEASE_SEQUENCE = ['remove-addresses', 'stop-services', 'umount', 'demote'] as const;
/**
 * Action kinds that change DRBD, mounts, services or addresses (everything but notify): maintenance
 * plans none of them and a frozen (split-brain) resource plans none of the DRBD ones.
 */
export const DRBD_ACTION_KINDS = [
  'outdate-peer',
  'outdate-local',
  'promote',
  'demote',
  'connect',
  'fence-peer',
] as const satisfies readonly ActionKind[];

/** The takeover sequence, in order (fsck only where configured). */
export const TAKEOVER_SEQUENCE = ['promote', 'fsck', 'mount', 'start-services', 'add-addresses'] as const;
