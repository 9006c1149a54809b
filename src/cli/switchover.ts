import type { Command } from 'commander';
import { EXIT } from '../common/errors.js';
import {
  callDaemon,
  renderOperationReport,
  reportFailed,
  resolveControlSocket,
  type ControlCommandOptions,
} from '../control/index.js';
import { CliExit } from './program-exit.js';

/** `drbd-sentinel switchover [RESOURCE] [--to NODE]`: planned move of a resource to a node. */
export function registerSwitchoverCommand(program: Command): void {
  program
    .command('switchover')
    .description('move a resource to the other node (or --to NODE), reporting each step')
    .argument('[resource]', 'resource to move (may be omitted when only one is configured)')
    .option('--to <node>', 'node that should end up Primary (default: the peer of the current Primary)')
    .option('--socket <path>', 'control socket (default: control.socket of the configuration)')
    .option('--timeout <seconds>', 'give up waiting for the daemon after this many seconds', '600')
    .addHelpText(
      'after',
      `
The daemon runs pre-checks (peer reachable, peer disk UpToDate and connected, no maintenance), then the
release on the current Primary (addresses, services, umount, demote) and the takeover on the other node.
Exit codes: 0 done, 1 refused, a step failed, or the daemon is not running.`,
    )
    .action(async (resource: string | undefined, opts: { to?: string; timeout: string }, cmd: Command) => {
      const timeoutS = Number(opts.timeout);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0)
        throw new CliExit(EXIT.USAGE, '--timeout must be a positive number of seconds');
      const socket = resolveControlSocket(cmd.optsWithGlobals() as ControlCommandOptions);
      const report = await callDaemon(
        socket,
        { op: 'switchover', resource: resource ?? null, to: opts.to ?? null },
        timeoutS * 1_000,
      );
      process.stdout.write(renderOperationReport(report));
      if (reportFailed(report)) throw new CliExit(EXIT.FAILURE, 'switchover did not complete');
    });
}
