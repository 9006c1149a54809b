/**
 * Reads the environment DRBD gives its handlers (drbdadm for 8.4, the kernel's helper for 9).
 * Pure and total. Anything malformed is refused before the daemon is asked: a handler started by hand
 * or by a broken setup must not become a fencing request.
 *
 * 8.4: DRBD_RESOURCE, DRBD_MINOR, DRBD_PEER_AF, DRBD_PEER_ADDRESS, DRBD_PEERS (peer host names).
 * 9:   DRBD_RESOURCE, DRBD_MINOR or DRBD_MINOR_<volume>, DRBD_PEER_NODE_ID, DRBD_NODE_ID_<id> (names),
 *      DRBD_PEER_ADDRESS, DRBD_CSTATE.
 */
import { isIP } from 'node:net';
import type { Result } from '../common/result.js';
import { err, ok } from '../common/result.js';
import { RESOURCE_NAME_RE } from '../config/resource-name.js';

export interface DrbdHandlerEnv {
  readonly resource: string;
  readonly minor: number | null;
  readonly peerAddress: string | null;
  readonly peerNodeId: number | null;
  /** Peer host names as DRBD knows them (DRBD_PEERS, or DRBD_NODE_ID_<peer id>). */
  readonly peers: readonly string[];
}

/** A value quoted for a message: JSON escapes newlines and control characters; long ones are cut. */
function shown(v: string): string {
  const q = JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return v.length > 40 ? `${q} (${v.length} characters)` : q;
}

const NUMBER_RE = /^\d{1,9}$/;

/** Unset or empty: null; digits: the number; anything else: an error naming the variable. */
function optionalNumber(name: string, v: string | undefined): Result<number | null, string> {
  if (v === undefined || v === '') return ok(null);
  return NUMBER_RE.test(v) ? ok(Number(v)) : err(`${name} is not a number: ${shown(v)}`);
}

export function parseDrbdHandlerEnv(
  env: Readonly<Record<string, string | undefined>>,
): Result<DrbdHandlerEnv, string> {
  const resource = env.DRBD_RESOURCE;
  if (resource === undefined || resource === '')
    return err('DRBD_RESOURCE is not set: run this command as DRBD handler');
  if (!RESOURCE_NAME_RE.test(resource))
    return err(`DRBD_RESOURCE is not a DRBD resource name: ${shown(resource)}`);
  let minor = optionalNumber('DRBD_MINOR', env.DRBD_MINOR);
  if (!minor.ok) return minor;
  if (minor.value === null) {
    const perVolume = Object.keys(env)
      .filter((k) => /^DRBD_MINOR_\d+$/.test(k))
      .sort();
    const first = perVolume[0];
    if (first !== undefined) minor = optionalNumber(first, env[first]);
    if (!minor.ok) return minor;
  }
  const peerNodeId = optionalNumber('DRBD_PEER_NODE_ID', env.DRBD_PEER_NODE_ID);
  if (!peerNodeId.ok) return peerNodeId;
  const named = peerNodeId.value === null ? undefined : env[`DRBD_NODE_ID_${peerNodeId.value}`];
  const peers = (env.DRBD_PEERS ?? named ?? '').split(/\s+/).filter((p) => p !== '');
  const address = env.DRBD_PEER_ADDRESS ?? '';
  if (address !== '' && isIP(address) === 0)
    return err(`DRBD_PEER_ADDRESS is not an IP address: ${shown(address)}`);
  return ok({
    resource,
    minor: minor.value,
    peerAddress: address === '' ? null : address,
    peerNodeId: peerNodeId.value,
    peers,
  });
}
