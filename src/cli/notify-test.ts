import type { Command } from 'commander';
import { EXIT } from '../common/errors.js';
import { callDaemon, resolveControlSocket, type ControlCommandOptions } from '../control/index.js';
import { NOTIFY_EVENTS, type NotifyEventName } from '../engine/notify-events.js';
import { CliExit, usageError } from './program-exit.js';

/** `drbd-sentinel notify-test EVENT`: the daemon sends a test event through every hook that receives it. */
export function registerNotifyTestCommand(program: Command): void {
  program
    .command('notify-test')
    .description(
      'send a test notification of EVENT through the configured notify hooks and report each delivery',
    )
    .argument('<event>', `one of: ${NOTIFY_EVENTS.join(', ')}`)
    .option('--socket <path>', 'control socket (default: control.socket of the configuration)')
    .addHelpText(
      'after',
      `
The payload is marked "test": true (SENTINEL_TEST=1). De-duplication does not apply.
Exit codes: 0 every hook accepted it, 1 a hook failed, no hook receives EVENT, or the daemon is not running.`,
    )
    .action(async (event: string, _opts: unknown, cmd: Command) => {
      if (!(NOTIFY_EVENTS as readonly string[]).includes(event))
        throw usageError(`unknown event "${event}": expected one of ${NOTIFY_EVENTS.join(', ')}`);
      const socket = resolveControlSocket(cmd.optsWithGlobals() as ControlCommandOptions);
      const { deliveries } = await callDaemon(
        socket,
        { op: 'notify-test', event: event as NotifyEventName },
        120_000,
      );
      if (deliveries.length === 0) throw new CliExit(EXIT.FAILURE, `no notify entry receives ${event}`);
      for (const d of deliveries) {
        const tail = d.status === 'ok' ? '' : ` ${d.reason}: ${d.detail}`;
        process.stdout.write(
          `${d.status.padEnd(6)} ${d.kind} ${d.hook} (${d.attempts} attempt(s), ${d.durationMs}ms)${tail}\n`,
        );
      }
      if (deliveries.some((d) => d.status !== 'ok'))
        throw new CliExit(EXIT.FAILURE, 'some notifications failed');
    });
}
