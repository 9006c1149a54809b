import type { Command } from 'commander';
import { EXIT } from '../common/errors.js';
import {
  callDaemon,
  renderOperationReport,
  reportFailed,
  resolveControlSocket,
  type ControlCommandOptions,
} from '../control/index.js';
import { CliExit, usageError } from './program-exit.js';

/** `drbd-sentinel standby on|off`. */
export function registerStandbyCommand(program: Command): void {
  program
    .command('standby')
    .description('put this node in standby (on: move its resources away and take none) or take it out (off)')
    .argument('<on|off>', 'on or off')
    .option('--socket <path>', 'control socket (default: control.socket of the configuration)')
    .addHelpText(
      'after',
      `\nStandby is kept across restarts of the daemon. Exit codes: 0 done, 1 refused or the daemon is not running.`,
    )
    .action(async (state: string, _opts: unknown, cmd: Command) => {
      if (state !== 'on' && state !== 'off') throw usageError(`standby: expected on or off, got "${state}"`);
      const socket = resolveControlSocket(cmd.optsWithGlobals() as ControlCommandOptions);
      const report = await callDaemon(socket, { op: 'standby', on: state === 'on' }, 600_000);
      process.stdout.write(renderOperationReport(report));
      if (reportFailed(report)) throw new CliExit(EXIT.FAILURE, `standby ${state} did not complete`);
    });
}
