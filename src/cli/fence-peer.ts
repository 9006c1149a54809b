import type { Command } from 'commander';
import type { ControlCommandOptions } from '../control/cli-support.js';
import { FENCE_PEER_DEFAULT_TIMEOUT, UNFENCE_PEER_DEFAULT_TIMEOUT } from './fast-args.js';
import { runFencePeer, runUnfencePeer } from './fence-handler.js';

interface FenceOptions extends ControlCommandOptions {
  readonly timeout: string;
}

/**
 * `drbd-sentinel fence-peer` and `drbd-sentinel unfence-peer`: the entry points DRBD's
 * `handlers { fence-peer ...; after-resync-target ...; }` call (see docs/executor-and-fencing.md).
 */
export function registerFencePeerCommand(program: Command): void {
  program
    .command('fence-peer')
    .description(
      "DRBD fence-peer handler: have the local daemon outdate the peer's disk (or fence the peer node)",
    )
    .option('--socket <path>', 'control socket (default: control.socket of the configuration)')
    .option('--timeout <duration>', 'how long to wait for the daemon', FENCE_PEER_DEFAULT_TIMEOUT)
    .addHelpText(
      'after',
      `
Reads DRBD_RESOURCE (and DRBD_MINOR, DRBD_PEER_ADDRESS, DRBD_PEERS / DRBD_PEER_NODE_ID) from DRBD.
Exit codes (DRBD's fence-peer protocol):
  3  the peer's disk is Inconsistent or worse
  4  the peer's disk was outdated (or already was)
  5  the peer is unreachable on every link (only where fencing.policy is not stonith)
  6  the peer is Primary: refused (DRBD outdates this node's disk)
  7  the peer node was fenced (STONITH)
  1  anything else: failure (with fencing resource-and-stonith DRBD keeps I/O frozen), including a
     missing or malformed DRBD_RESOURCE, DRBD_MINOR, DRBD_PEER_NODE_ID or DRBD_PEER_ADDRESS
     (then the daemon is not asked)`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      await runFencePeer(cmd.optsWithGlobals() as FenceOptions);
    });

  program
    .command('unfence-peer')
    .description(
      'DRBD after-resync-target handler: tell the local daemon the resync finished (exits 0 once it has a valid DRBD environment)',
    )
    .option('--socket <path>', 'control socket (default: control.socket of the configuration)')
    .option('--timeout <duration>', 'how long to wait for the daemon', UNFENCE_PEER_DEFAULT_TIMEOUT)
    .addHelpText(
      'after',
      `
Exit codes: 0 whatever the daemon answered (DRBD only logs this handler); 1 a missing or malformed DRBD
environment or --timeout (then the daemon is not asked).`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      await runUnfencePeer(cmd.optsWithGlobals() as FenceOptions);
    });
}
