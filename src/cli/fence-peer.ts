import type { Command } from 'commander';
import { parseDurationMs } from '../common/duration.js';
import { EXIT } from '../common/errors.js';
// The modules, not control/index.js: DRBD runs this handler with I/O possibly frozen, so it loads only the
// client side of the socket.
import { resolveControlSocket, type ControlCommandOptions } from '../control/cli-support.js';
import { controlRequest } from '../control/client.js';
import type { FenceControlCall } from '../fencing/fence-peer-client.js';
import { fencePeerViaDaemon, unfencePeerViaDaemon } from '../fencing/fence-peer-client.js';
import { parseDrbdHandlerEnv } from '../fencing/drbd-handler-env.js';
import { CliExit } from './program-exit.js';

/** Default wait for the daemon's answer: it covers the outdate request, the fence delay and the handler chain. */
const DEFAULT_TIMEOUT = '120s';

interface FenceOptions extends ControlCommandOptions {
  readonly timeout: string;
}

function controlCall(socket: string): FenceControlCall {
  return async (request, timeoutMs) => {
    const r =
      request.op === 'fence-peer'
        ? await controlRequest(socket, { op: 'fence-peer', resource: request.resource }, { timeoutMs })
        : await controlRequest(socket, { op: 'unfence-peer', resource: request.resource }, { timeoutMs });
    return r.ok ? r : { ok: false, error: { message: r.error.message } };
  };
}

/**
 * Bad options or a malformed DRBD environment exit 1, DRBD's "handler failed" (with resource-and-stonith I/O
 * stays frozen), before anything is sent to the daemon. Never 2: the usual usage code is harmless to DRBD
 * too, but 1 is the one code this handler documents for every failure; 3..7 are answers DRBD acts on.
 */
function setup(cmd: Command): { resource: string; socket: string; timeoutMs: number } {
  const opts = cmd.optsWithGlobals() as FenceOptions;
  const name = cmd.name();
  const timeout = parseDurationMs(opts.timeout);
  if (!timeout.ok) throw new CliExit(EXIT.FAILURE, `${name}: --timeout: ${timeout.error}`);
  const env = parseDrbdHandlerEnv(process.env);
  if (!env.ok) throw new CliExit(EXIT.FAILURE, `${name}: ${env.error}; nothing was asked of the daemon`);
  return { resource: env.value.resource, socket: resolveControlSocket(opts), timeoutMs: timeout.value };
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
    .option('--timeout <duration>', 'how long to wait for the daemon', DEFAULT_TIMEOUT)
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
      const { resource, socket, timeoutMs } = setup(cmd);
      const r = await fencePeerViaDaemon(resource, controlCall(socket), timeoutMs);
      throw new CliExit(r.exitCode, `fence-peer ${resource}: exit ${r.exitCode}: ${r.message}`);
    });

  program
    .command('unfence-peer')
    .description(
      'DRBD after-resync-target handler: tell the local daemon the resync finished (exits 0 once it has a valid DRBD environment)',
    )
    .option('--socket <path>', 'control socket (default: control.socket of the configuration)')
    .option('--timeout <duration>', 'how long to wait for the daemon', '10s')
    .addHelpText(
      'after',
      `
Exit codes: 0 whatever the daemon answered (DRBD only logs this handler); 1 a missing or malformed DRBD
environment or --timeout (then the daemon is not asked).`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { resource, socket, timeoutMs } = setup(cmd);
      const r = await unfencePeerViaDaemon(resource, controlCall(socket), timeoutMs);
      process.stderr.write(`drbd-sentinel: unfence-peer ${resource}: ${r.message}\n`);
      process.exitCode = EXIT.OK;
    });
}
