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

/** `drbd-sentinel maintenance on|off`. */
export function registerMaintenanceCommand(program: Command): void {
  program
    .command('maintenance')
    .description('cluster maintenance: on = both nodes observe only (no automatic action), off = resume')
    .argument('<on|off>', 'on or off')
    .option('--socket <path>', 'control socket (default: control.socket of the configuration)')
    .addHelpText(
      'after',
      `\nMaintenance is kept across restarts and applies to both nodes. Exit codes: 0 done, 1 refused or the daemon is not running.`,
    )
    .action(async (state: string, _opts: unknown, cmd: Command) => {
      if (state !== 'on' && state !== 'off')
        throw usageError(`maintenance: expected on or off, got "${state}"`);
      const socket = resolveControlSocket(cmd.optsWithGlobals() as ControlCommandOptions);
      const report = await callDaemon(socket, { op: 'maintenance', on: state === 'on' }, 600_000);
      process.stdout.write(renderOperationReport(report));
      if (reportFailed(report)) throw new CliExit(EXIT.FAILURE, `maintenance ${state} did not complete`);
    });
}
