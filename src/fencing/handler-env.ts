/**
 * The environment a fence handler runs with: who is being fenced, how to reach it, which resources
 * are at stake. Pure.
 */

/** The node being fenced and why. */
export interface FenceTarget {
  readonly cluster: string;
  /** This node's name (the one fencing). */
  readonly localNode: string;
  /** The peer's node name (config `nodes[].name`). */
  readonly peer: string;
  /** The peer's addresses, one per heartbeat link. */
  readonly peerAddresses: readonly string[];
  /** The resources this node wants to take over or keep (all configured resources when unsure). */
  readonly resources: readonly string[];
  /** The engine's reason code or the fence-peer request that asked for it. */
  readonly reason: string;
}

/**
 * Environment variables for one handler run:
 *
 * | variable | value |
 * | --- | --- |
 * | `SENTINEL_EVENT` | `fence-peer` |
 * | `SENTINEL_CLUSTER` | cluster name |
 * | `SENTINEL_NODE` | this node |
 * | `SENTINEL_PEER` | the node to fence |
 * | `SENTINEL_PEER_ADDRESSES` | its addresses, space separated |
 * | `SENTINEL_RESOURCES` | resource names, space separated |
 * | `SENTINEL_REASON` | why |
 * | `SENTINEL_HANDLER` | this handler's name |
 * | `DRBD_PEERS`, `DRBD_PEER` | the peer's name, as drbdadm passes it to its own handlers |
 * | `DRBD_PEER_ADDRESS` | the peer's first address |
 * | `DRBD_RESOURCE` | the resource, only when exactly one is at stake |
 *
 * The DRBD-style names let existing DRBD fence scripts (which read them) run unchanged.
 */
export function fenceHandlerEnv(target: FenceTarget, handlerName: string): Record<string, string> {
  const env: Record<string, string> = {
    SENTINEL_EVENT: 'fence-peer',
    SENTINEL_CLUSTER: target.cluster,
    SENTINEL_NODE: target.localNode,
    SENTINEL_PEER: target.peer,
    SENTINEL_PEER_ADDRESSES: target.peerAddresses.join(' '),
    SENTINEL_RESOURCES: target.resources.join(' '),
    SENTINEL_REASON: target.reason,
    SENTINEL_HANDLER: handlerName,
    DRBD_PEERS: target.peer,
    DRBD_PEER: target.peer,
  };
  const first = target.peerAddresses[0];
  if (first !== undefined) env.DRBD_PEER_ADDRESS = first;
  const only = target.resources.length === 1 ? target.resources[0] : undefined;
  if (only !== undefined) env.DRBD_RESOURCE = only;
  return env;
}
