/**
 * What `fence-peer` and `unfence-peer` do once their command line is read, shared by their commander
 * definitions (src/cli/fence-peer.ts) and the fast path (src/cli/fast-path.ts), so both give the same
 * answer, exit code and message.
 */
import { parseDurationMs } from '../common/duration.js';
import { EXIT } from '../common/errors.js';
// The modules, not control/index.js: DRBD runs this handler with I/O possibly frozen, so it loads only the
// client side of the socket.
import { resolveControlSocket } from '../control/cli-support.js';
import { controlRequest } from '../control/client.js';
import type { FenceControlCall } from '../fencing/fence-peer-client.js';
import { fencePeerViaDaemon, unfencePeerViaDaemon } from '../fencing/fence-peer-client.js';
import { parseDrbdHandlerEnv } from '../fencing/drbd-handler-env.js';
import { CliExit } from './program-exit.js';

export interface FenceHandlerOptions {
  readonly socket?: string;
  readonly config?: string;
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
function setup(
  name: string,
  opts: FenceHandlerOptions,
): { resource: string; socket: string; timeoutMs: number } {
  const timeout = parseDurationMs(opts.timeout);
  if (!timeout.ok) throw new CliExit(EXIT.FAILURE, `${name}: --timeout: ${timeout.error}`);
  const env = parseDrbdHandlerEnv(process.env);
  if (!env.ok) throw new CliExit(EXIT.FAILURE, `${name}: ${env.error}; nothing was asked of the daemon`);
  return { resource: env.value.resource, socket: resolveControlSocket(opts), timeoutMs: timeout.value };
}

/** fence-peer: always ends in a CliExit carrying DRBD's exit code (3..7, or 1) and why. */
export async function runFencePeer(opts: FenceHandlerOptions): Promise<never> {
  const { resource, socket, timeoutMs } = setup('fence-peer', opts);
  const r = await fencePeerViaDaemon(resource, controlCall(socket), timeoutMs);
  throw new CliExit(r.exitCode, `fence-peer ${resource}: exit ${r.exitCode}: ${r.message}`);
}

/** unfence-peer: exit 0 whatever the daemon answered (the answer goes to stderr, which DRBD logs). */
export async function runUnfencePeer(opts: FenceHandlerOptions): Promise<void> {
  const { resource, socket, timeoutMs } = setup('unfence-peer', opts);
  const r = await unfencePeerViaDaemon(resource, controlCall(socket), timeoutMs);
  process.stderr.write(`drbd-sentinel: unfence-peer ${resource}: ${r.message}\n`);
  process.exitCode = EXIT.OK;
}
