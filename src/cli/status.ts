import type { Command } from 'commander';
import type { ControlCommandOptions } from '../control/cli-support.js';
import { runStatus } from './status-run.js';

/** `drbd-sentinel status [--json] [--socket PATH]`: what the local daemon sees. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show what the local daemon sees: resources, peer, links, last decision, open alerts')
    .option('--json', 'print the status as one JSON document (the same facts)')
    .option('--socket <path>', 'control socket (default: control.socket of the configuration)')
    .addHelpText(
      'after',
      `
Talks to the running daemon over its control socket (root only). Exit codes: 0 shown, 1 the daemon is not
running or did not answer.`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      await runStatus(cmd.optsWithGlobals() as ControlCommandOptions & { json?: boolean });
    });
}
