import { err, ok, type Result } from '../common/result.js';
import type { LinkSpec } from './transport.js';

/**
 * Pure: the heartbeat links from the configuration's per-node address lists (one address per link,
 * same order on both nodes) and `heartbeat.port`. Fails when the lists differ in length or are empty.
 */
export function linkSpecsFromAddresses(
  ownAddresses: readonly string[],
  peerAddresses: readonly string[],
  port: number,
): Result<LinkSpec[], string> {
  if (ownAddresses.length === 0) return err('no heartbeat link: the node has no address');
  if (ownAddresses.length !== peerAddresses.length)
    return err(`this node has ${ownAddresses.length} heartbeat addresses, the peer ${peerAddresses.length}`);
  return ok(
    ownAddresses.map((localAddress, i) => ({
      localAddress,
      localPort: port,
      peerAddress: peerAddresses[i] ?? '',
      peerPort: port,
    })),
  );
}
