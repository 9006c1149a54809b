import { runCommand, type CommandOutcome, type RunOptions } from '../common/exec.js';
import type { ConfigWarningProvider } from '../config/warning-providers.js';
import {
  createDrbdConfigWarningProvider,
  type DrbdConfigWarningProviderOptions,
} from '../drbd/config-warning-provider.js';

/**
 * check-config's DRBD cross-check as the CLI registers it (effects: runs `drbdadm dump-xml`): the
 * DRBD layer's provider (src/drbd/config-warning-provider.ts: device/minor, node names against
 * DRBD's `on HOST` names, protocol C, fencing policy and handlers, with the snippet to add), plus
 * one informational warning, located at `drbd.drbdadm`, when drbdadm cannot be run at all: an
 * operator who sees no DRBD findings must be able to tell "DRBD agrees" from "not compared".
 * Never a failure: check-config's exit code does not change.
 */
export function createDrbdCrossCheckProvider(
  options: DrbdConfigWarningProviderOptions = {},
): ConfigWarningProvider {
  const run = options.run ?? runCommand;
  return {
    name: 'drbd-config',
    async provide(ctx) {
      // The inner provider stays silent when drbdadm cannot be spawned; watch its runner to say why.
      let spawnFailure: string | null = null;
      const watching = async (argv: readonly string[], o: RunOptions): Promise<CommandOutcome> => {
        const outcome = await run(argv, o);
        if (outcome.status === 'spawn-error') spawnFailure = outcome.message;
        return outcome;
      };
      const problems = await createDrbdConfigWarningProvider({ ...options, run: watching }).provide(ctx);
      if (spawnFailure === null || problems.length > 0) return problems;
      const drbdadm = ctx.config.drbd.drbdadm;
      return [
        {
          file: ctx.source.file,
          ...ctx.source.locate(['drbd', 'drbdadm']),
          path: 'drbd.drbdadm',
          message: `DRBD cross-check skipped: \`${drbdadm} dump-xml\` could not be run (${spawnFailure}); install drbd-utils or set drbd.drbdadm, then run check-config on each node to compare the resources with DRBD's own configuration`,
        },
      ];
    },
  };
}
