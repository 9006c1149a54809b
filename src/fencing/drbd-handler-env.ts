/**
 * Reads the environment DRBD gives its handlers (drbdadm for 8.4, the kernel's helper for 9).
 * Pure and total.
 *
 * 8.4: DRBD_RESOURCE, DRBD_MINOR, DRBD_PEER_AF, DRBD_PEER_ADDRESS, DRBD_PEERS (peer host names).
 * 9:   DRBD_RESOURCE, DRBD_MINOR or DRBD_MINOR_<volume>, DRBD_PEER_NODE_ID, DRBD_NODE_ID_<id> (names),
 *      DRBD_PEER_ADDRESS, DRBD_CSTATE.
 */
import type { Result } from '../common/result.js';
import { err, ok } from '../common/result.js';

export interface DrbdHandlerEnv {
  readonly resource: string;
  readonly minor: number | null;
  readonly peerAddress: string | null;
  readonly peerNodeId: number | null;
  /** Peer host names as DRBD knows them (DRBD_PEERS, or DRBD_NODE_ID_<peer id>). */
  readonly peers: readonly string[];
}

const intOrNull = (v: string | undefined): number | null =>
  v !== undefined && /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : null;

export function parseDrbdHandlerEnv(
  env: Readonly<Record<string, string | undefined>>,
): Result<DrbdHandlerEnv, string> {
  const resource = env.DRBD_RESOURCE?.trim() ?? '';
  if (resource === '') return err('DRBD_RESOURCE is not set: run this command as DRBD handler');
  let minor = intOrNull(env.DRBD_MINOR);
  if (minor === null) {
    const perVolume = Object.keys(env)
      .filter((k) => /^DRBD_MINOR_\d+$/.test(k))
      .sort();
    const first = perVolume[0];
    minor = first === undefined ? null : intOrNull(env[first]);
  }
  const peerNodeId = intOrNull(env.DRBD_PEER_NODE_ID);
  const named = peerNodeId === null ? undefined : env[`DRBD_NODE_ID_${peerNodeId}`];
  const peers = (env.DRBD_PEERS ?? named ?? '').split(/\s+/).filter((p) => p !== '');
  const peerAddress = env.DRBD_PEER_ADDRESS?.trim() || null;
  return ok({ resource, minor, peerAddress, peerNodeId, peers });
}
