/**
 * The fence delay policy. Pure.
 *
 * Why: in a network partition both nodes see the other unreachable and both may reach for the
 * fence device at the same moment; with power fencing each can switch the other off, and both
 * services are down (a "fence race", or mutual STONITH). Delaying one side settles it. The side
 * that is Primary fences at once and the Secondary waits `delay` first, so the Primary, whose
 * applications hold the acknowledged writes, wins the race and keeps running, while the
 * Secondary, if it is still alive after the delay, is the one that gets fenced. Had the Secondary
 * won instead, the Primary's most recent writes since the cut would be lost with it (SAFETY.md
 * rule 3) and the service would move for no reason. The same idea is Pacemaker's
 * `priority-fencing-delay` and DRBD's guidance to delay the fence of the node that runs the service.
 *
 * Where neither or both sides are Primary (several resources split across the nodes), the side
 * with more Primaries counts as the Primary; a tie is broken by node name (the smaller name fences
 * at once), so exactly one side waits and the race cannot end in both nodes fenced.
 */

export interface FenceDelayInput {
  /** Resources this node is Primary for, now. */
  readonly localPrimaries: number;
  /** Resources the peer was Primary for when last heard from. */
  readonly peerPrimaries: number;
  readonly localNode: string;
  readonly peerNode: string;
  /** Config `fencing.delay` in ms. */
  readonly delayMs: number;
}

/** How long this node waits before fencing its peer (ms): 0 for the side that should win. */
export function fenceDelayMs(input: FenceDelayInput): number {
  if (input.localPrimaries > input.peerPrimaries) return 0;
  if (input.localPrimaries < input.peerPrimaries) return input.delayMs;
  return input.localNode < input.peerNode ? 0 : input.delayMs;
}
