import type { Command } from 'commander';
// The modules, not control/index.js: the daemon's side of the socket is not loaded for a status.
import { callDaemon, resolveControlSocket, type ControlCommandOptions } from '../control/cli-support.js';
import { renderStatus } from '../control/render-status.js';

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
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const socket = resolveControlSocket(cmd.optsWithGlobals() as ControlCommandOptions);
      const snapshot = await callDaemon(socket, { op: 'status' }, 10_000);
      process.stdout.write(
        opts.json === true ? `${JSON.stringify(snapshot, null, 2)}\n` : renderStatus(snapshot),
      );
    });
}
